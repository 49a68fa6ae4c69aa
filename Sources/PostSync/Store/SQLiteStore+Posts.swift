import Foundation
import GRDB

/// What storing one run's posts changed.
public struct IngestResult: Sendable, Equatable {
    /// Posts handed in.
    public var found: Int
    /// Posts inserted or changed.
    public var synced: Int
}

extension SQLiteStore {
    /// Upserts the posts one sync run read, keyed by `(platform, post_id)`, in one transaction.
    /// A `post_metrics` row is written when a post is first seen and whenever one of its metrics
    /// changes; the same page stored twice changes nothing. Also sets `last_sync_at` when a post
    /// changed (the worker saves it with the schedule after every run).
    /// - Parameters:
    ///   - posts: Posts as fetched; metrics outside each post's coverage keep their stored value.
    ///   - account: The owner.
    ///   - now: The observation time.
    /// - Returns: How many posts were found and how many rows were inserted or changed.
    public func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date) async throws -> IngestResult {
        try await ingest(posts, for: account, now: now, fence: nil, digest: nil)
    }

    /// `ingest`, keeping `digest` as the stored page's fingerprint (`page_digest`, nil clears it)
    /// in the same transaction. No fence: SQLite has one daemon.
    public func ingest(
        _ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?, digest: PageDigest?
    ) async throws -> IngestResult {
        let platform = account.platform.rawValue
        let stamp = Timestamp.format(now)
        var unique: [FetchedPost] = []
        var seen = Set<String>()
        for post in posts where seen.insert(post.postID).inserted { unique.append(post) }
        // SQLite hands text back up to its first NUL, so such an id would never be found again
        // (PostgreSQL refuses it outright): the page fails, as a malformed answer fails a run.
        if unique.contains(where: { $0.postID.utf8.contains(0) }) {
            throw StoreError.database("a post id holds a NUL character")
        }
        return try await writer.write { [unique] db in
            let existing = try storedPosts(db, platform: platform, ids: unique.map(\.postID))
            // Looked up once per run, not once per post: the statement cache hashes the SQL text.
            let insertPost = try db.cachedStatement(
                sql: """
                    INSERT INTO posts (platform, post_id, account_id, caption, media_type, permalink, published_at,
                        like_count, comment_count, view_count, share_count, save_count, reach, first_seen_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let updatePost = try db.cachedStatement(
                sql: """
                    UPDATE posts SET caption = ?, media_type = ?, permalink = ?, published_at = ?, like_count = ?,
                        comment_count = ?, view_count = ?, share_count = ?, save_count = ?, reach = ?, updated_at = ?
                    WHERE platform = ? AND post_id = ?
                    """)
            // The posts whose metrics get a history row: each one's row is copied from the post as
            // just written, for the whole page in one statement after the loop (binding nine
            // values per post through GRDB was a quarter of a cold ingest).
            var metricIDs: [String] = []
            var synced = 0
            for post in unique {
                let published = StoreDate.encode(post.publishedAt)
                guard let stored = existing[post.postID] else {
                    let metrics = post.metrics.merged(into: PostMetrics(), coverage: post.coverage)
                    try insertPost.execute(arguments: [
                        platform, post.postID, account.description, post.caption, post.mediaType, post.permalink,
                        published, metrics.likeCount, metrics.commentCount, metrics.viewCount, metrics.shareCount,
                        metrics.saveCount, metrics.reach, stamp, stamp,
                    ])
                    metricIDs.append(post.postID)
                    synced += 1
                    continue
                }
                let metrics = post.metrics.merged(into: stored.metrics, coverage: post.coverage)
                let caption = post.caption ?? stored.caption
                let mediaType = post.mediaType ?? stored.mediaType
                let permalink = post.permalink ?? stored.permalink
                let publishedAt = published ?? stored.publishedAt
                let metricsChanged = metrics != stored.metrics
                let fieldsChanged =
                    caption != stored.caption || mediaType != stored.mediaType
                    || permalink != stored.permalink || publishedAt != stored.publishedAt
                guard metricsChanged || fieldsChanged else { continue }
                try updatePost.execute(arguments: [
                    caption, mediaType, permalink, publishedAt, metrics.likeCount, metrics.commentCount,
                    metrics.viewCount, metrics.shareCount, metrics.saveCount, metrics.reach, stamp,
                    platform, post.postID,
                ])
                if metricsChanged { metricIDs.append(post.postID) }
                synced += 1
            }
            if !metricIDs.isEmpty {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO post_metrics (platform, post_id, observed_at, like_count, comment_count, view_count,
                            share_count, save_count, reach)
                        SELECT platform, post_id, ?, like_count, comment_count, view_count, share_count, save_count, reach
                        FROM posts WHERE platform = ? AND post_id IN (SELECT value FROM json_each(?))
                        """
                ).execute(arguments: [stamp, platform, Self.jsonArray(metricIDs)])
            }
            // The digest goes with the page it describes. A page that changed nothing, and whose
            // digest is already stored, leaves the transaction without a write (`IS NOT`); the
            // worker saves `last_sync_at` with the schedule after every run.
            if synced > 0 {
                try db.cachedStatement(sql: "UPDATE accounts SET last_sync_at = ?, page_digest = ? WHERE id = ?")
                    .execute(arguments: [stamp, digest?.text, account.description])
            } else {
                try db.cachedStatement(sql: "UPDATE accounts SET page_digest = ? WHERE id = ? AND page_digest IS NOT ?")
                    .execute(arguments: [digest?.text, account.description, digest?.text])
            }
            return IngestResult(found: posts.count, synced: synced)
        }
    }

    /// A stored post's comparable fields.
    private struct StoredPost {
        var caption: String?
        var mediaType: String?
        var permalink: String?
        var publishedAt: String?
        var metrics: PostMetrics
    }

    /// The stored rows of these post ids, read in one query rather than one per post. The ids go
    /// in as one JSON array (`json_each`), so that the statement is prepared once and cached:
    /// an `IN (?, ?, …)` list made a new statement, parsed and authorised, for every page.
    private func storedPosts(_ db: GRDB.Database, platform: String, ids: [String]) throws -> [String: StoredPost] {
        var result: [String: StoredPost] = [:]
        guard !ids.isEmpty else { return result }
        let statement = try db.cachedStatement(
            sql: """
                SELECT post_id, caption, media_type, permalink, published_at, like_count, comment_count, view_count,
                    share_count, save_count, reach
                FROM posts WHERE platform = ? AND post_id IN (SELECT value FROM json_each(?))
                """)
        let rows = try Row.fetchCursor(statement, arguments: [platform, Self.jsonArray(ids)])
        while let row = try rows.next() {
            result[row[0]] = StoredPost(
                caption: row[1], mediaType: row[2], permalink: row[3], publishedAt: row[4],
                metrics: PostMetrics(
                    likeCount: row[5], commentCount: row[6], viewCount: row[7], shareCount: row[8], saveCount: row[9],
                    reach: row[10]))
        }
        return result
    }

    /// `strings` as a JSON array of strings: `"` and `\` escaped, control characters as `\u00XX`,
    /// everything else (UTF-8) as it is.
    static func jsonArray(_ strings: [String]) -> String {
        var json = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { json += "," }
            json += "\""
            // Platform ids are digits, letters, `_` and `-`: nothing to escape.
            if string.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
                json += string + "\""
                continue
            }
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": json += "\\\""
                case "\\": json += "\\\\"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: json.unicodeScalars.append(scalar)
                }
            }
            json += "\""
        }
        return json + "]"
    }

    /// The account's stored posts published at or after `since`: id → publication time.
    public func recentPosts(of account: AccountID, publishedSince since: Date) async throws -> [String: Date] {
        try await writer.read { db in
            var posts: [String: Date] = [:]
            let rows = try Row.fetchCursor(
                db, sql: "SELECT post_id, published_at FROM posts WHERE account_id = ? AND published_at >= ?",
                arguments: [account.description, Timestamp.format(since)])
            while let row = try rows.next() {
                if let published = StoreDate.decode(row[1]) { posts[row[0]] = published }
            }
            return posts
        }
    }

    /// Number of stored posts per account.
    public func postCounts() async throws -> [String: Int] {
        try await writer.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT account_id, COUNT(*) AS n FROM posts GROUP BY account_id") {
                counts[row["account_id"]] = row["n"]
            }
            return counts
        }
    }

    /// Stored posts, newest first.
    /// - Parameters:
    ///   - account: Only this account's posts, when given.
    ///   - since: Only posts published at or after this time, when given.
    ///   - limit: At most this many.
    public func posts(account: AccountID?, since: Date?, limit: Int) async throws -> [PostView] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let account {
            clauses.append("account_id = ?")
            arguments += [account.description]
        }
        if let since {
            clauses.append("published_at >= ?")
            arguments += [Timestamp.format(since)]
        }
        let filter = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        arguments += [limit]
        return try await writer.read { [arguments] db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM posts \(filter) ORDER BY published_at DESC, post_id DESC LIMIT ?",
                arguments: arguments
            ).map(PostView.init(row:))
        }
    }

    /// Metric history rows of one post (oldest first): for tests and scripts.
    public func metricHistory(platform: Platform, postID: String) async throws -> [PostMetrics] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM post_metrics WHERE platform = ? AND post_id = ? ORDER BY rowid",
                arguments: [platform.rawValue, postID]
            ).map {
                PostMetrics(
                    likeCount: $0["like_count"], commentCount: $0["comment_count"], viewCount: $0["view_count"],
                    shareCount: $0["share_count"], saveCount: $0["save_count"], reach: $0["reach"])
            }
        }
    }
}
