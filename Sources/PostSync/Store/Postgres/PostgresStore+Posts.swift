import Foundation
import PostgresNIO

extension PostgresStore {
    /// Upserts the posts one run read and sets `last_sync_at`, in one statement (so one round
    /// trip and one transaction, whatever the page size): the whole page travels as one `jsonb`
    /// bind to the schema's `ingest_page` function (`PostgresIngestFunction`), where the merge with
    /// the stored rows, the change test and the `post_metrics` rows happen from a cached plan.
    /// The rules are those of `SQLiteStore.ingest`; the engine tests hold both to them.
    public func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date) async throws -> IngestResult {
        try await ingest(posts, for: account, now: now, fence: nil)
    }

    /// `ingest`; with a fence, `ingest_page`'s fenced version writes nothing (and answers -1)
    /// unless the row names the fence's node and epoch, and holds the row against a claim
    /// until the page is committed.
    /// - Throws: `StoreError.leaseLost` when the fence no longer holds.
    public func ingest(_ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?) async throws
        -> IngestResult
    {
        try await ingest(posts, for: account, now: now, fence: fence, digest: nil)
    }

    /// `ingest`, keeping `digest` as the stored page's fingerprint (`page_digest`; nil clears it)
    /// in the same statement, so in the same transaction; not when the fence refused the page.
    public func ingest(
        _ posts: [FetchedPost], for account: AccountID, now: Date, fence: LeaseFence?, digest: PageDigest?
    ) async throws -> IngestResult {
        var seen = Set<String>()
        // ON CONFLICT may touch a row once per statement: a page that repeats a post keeps the first.
        let unique = posts.filter { seen.insert($0.postID).inserted }
        let page = String(decoding: try Self.snakeCaseJSON(unique.map(PostRow.init)), as: UTF8.self)
        let s = self.s
        let platform = account.platform.rawValue
        let stamp = Timestamp.format(now)
        let digestText = digest?.text
        let synced = try await perform { client in
            let rows =
                if let fence {
                    try await client.query(
                        """
                        SELECT \(unescaped: s).store_page(\(platform), \(account.description), \(stamp)::timestamptz,
                            \(page)::jsonb, \(digestText), \(fence.node), \(fence.epoch))
                        """)
                } else {
                    try await client.query(
                        """
                        SELECT \(unescaped: s).store_page(\(platform), \(account.description), \(stamp)::timestamptz,
                            \(page)::jsonb, \(digestText))
                        """)
                }
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
        if synced < 0 { throw StoreError.leaseLost(account) }
        return IngestResult(found: posts.count, synced: synced)
    }

    /// The account's stored posts published at or after `since`: id → publication time.
    public func recentPosts(of account: AccountID, publishedSince since: Date) async throws -> [String: Date] {
        let s = self.s
        return try await perform { client in
            var posts: [String: Date] = [:]
            let rows = try await client.query(
                """
                SELECT post_id, published_at FROM \(unescaped: s).posts
                WHERE account_id = \(account.description) AND published_at >= \(Timestamp.format(since))::timestamptz
                """)
            for try await (id, published) in rows.decode((String, Date).self) { posts[id] = published }
            return posts
        }
    }

    /// Number of stored posts per account.
    public func postCounts() async throws -> [String: Int] {
        let s = self.s
        return try await perform { client in
            var counts: [String: Int] = [:]
            let rows = try await client.query("SELECT account_id, count(*) FROM \(unescaped: s).posts GROUP BY account_id")
            for try await (account, count) in rows.decode((String, Int).self) { counts[account] = count }
            return counts
        }
    }

    /// Stored posts, newest first.
    /// - Parameters:
    ///   - account: Only this account's posts, when given.
    ///   - since: Only posts published at or after this time, when given.
    ///   - limit: At most this many.
    public func posts(account: AccountID?, since: Date?, limit: Int) async throws -> [PostView] {
        let s = self.s
        return try await perform { client in
            let rows = try await client.query(
                """
                SELECT * FROM \(unescaped: s).posts
                WHERE (\(account?.description)::text IS NULL OR account_id = \(account?.description)::text)
                    AND (\(since.map(Timestamp.format))::timestamptz IS NULL
                        OR published_at >= \(since.map(Timestamp.format))::timestamptz)
                ORDER BY published_at DESC NULLS LAST, post_id DESC
                LIMIT \(limit)
                """)
            var posts: [PostView] = []
            for try await row in rows { posts.append(try PostView(postgres: row)) }
            return posts
        }
    }

    /// The insights metrics found unsupported per kind of media.
    public func unsupportedInsights() async throws -> [InsightMetricKey: Date] {
        let s = self.s
        return try await perform { client in
            var table: [InsightMetricKey: Date] = [:]
            let rows = try await client.query(
                "SELECT media_type, product_type, metric, unsupported_since FROM \(unescaped: s).insight_support")
            for try await (media, product, metric, since) in rows.decode((String, String, String, Date).self) {
                table[InsightMetricKey(mediaType: media, productType: product, metric: metric)] = since
            }
            return table
        }
    }

    /// Records a finding about one metric of one kind of media.
    public func saveInsightSupport(_ key: InsightMetricKey, unsupportedSince: Date?) async throws {
        let s = self.s
        _ = try await perform { client in
            if let since = unsupportedSince {
                try await client.query(
                    """
                    INSERT INTO \(unescaped: s).insight_support (media_type, product_type, metric, unsupported_since)
                    VALUES (\(key.mediaType), \(key.productType), \(key.metric), \(Timestamp.format(since))::timestamptz)
                    ON CONFLICT (media_type, product_type, metric) DO UPDATE SET unsupported_since = EXCLUDED.unsupported_since
                    """)
            } else {
                try await client.query(
                    """
                    DELETE FROM \(unescaped: s).insight_support
                    WHERE media_type = \(key.mediaType) AND product_type = \(key.productType) AND metric = \(key.metric)
                    """)
            }
        }
    }

    /// Metric history rows of one post (oldest first): for tests and scripts.
    public func metricHistory(platform: Platform, postID: String) async throws -> [PostMetrics] {
        let s = self.s
        return try await perform { client in
            let rows = try await client.query(
                """
                SELECT like_count, comment_count, view_count, share_count, save_count, reach
                FROM \(unescaped: s).post_metrics WHERE platform = \(platform.rawValue) AND post_id = \(postID)
                ORDER BY observed_at, ctid
                """)
            var history: [PostMetrics] = []
            for try await (likes, comments, views, shares, saves, reach) in rows.decode(
                (Int64?, Int64?, Int64?, Int64?, Int64?, Int64?).self)
            {
                history.append(
                    PostMetrics(
                        likeCount: likes, commentCount: comments, viewCount: views, shareCount: shares, saveCount: saves,
                        reach: reach))
            }
            return history
        }
    }
}

/// A fetched post as the JSON that `jsonb_to_recordset` reads. PostgreSQL text cannot hold NUL,
/// which a caption may contain, so NUL characters are dropped.
private struct PostRow: Encodable {
    var postId: String
    var caption: String?
    var mediaType: String?
    var permalink: String?
    var publishedAt: String?
    var likeCount: Int64?
    var commentCount: Int64?
    var viewCount: Int64?
    var shareCount: Int64?
    var saveCount: Int64?
    var reach: Int64?
    var coverage: Int

    init(_ post: FetchedPost) {
        postId = PostgresStore.withoutNUL(post.postID)
        caption = post.caption.map(PostgresStore.withoutNUL)
        mediaType = post.mediaType.map(PostgresStore.withoutNUL)
        permalink = post.permalink.map(PostgresStore.withoutNUL)
        publishedAt = StoreDate.encode(post.publishedAt)
        likeCount = post.metrics.likeCount
        commentCount = post.metrics.commentCount
        viewCount = post.metrics.viewCount
        shareCount = post.metrics.shareCount
        saveCount = post.metrics.saveCount
        reach = post.metrics.reach
        coverage = post.coverage.rawValue
    }
}

extension PostgresStore {
    /// PostgreSQL text cannot hold NUL: dropped from free text a platform or an error gave us.
    static func withoutNUL(_ text: String) -> String {
        text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "") : text
    }
}

extension PostView {
    /// Reads a post from a `SELECT * FROM posts` row of PostgreSQL.
    init(postgres row: PostgresRow) throws {
        let r = row.makeRandomAccess()
        accountId = try r["account_id"].decode(String.self)
        platform = Platform(rawValue: try r["platform"].decode(String.self)) ?? .instagram
        postId = try r["post_id"].decode(String.self)
        caption = try r["caption"].decode(String?.self)
        mediaType = try r["media_type"].decode(String?.self)
        permalink = try r["permalink"].decode(String?.self)
        publishedAt = try r["published_at"].decode(Date?.self)
        likeCount = try r["like_count"].decode(Int64?.self)
        commentCount = try r["comment_count"].decode(Int64?.self)
        viewCount = try r["view_count"].decode(Int64?.self)
        shareCount = try r["share_count"].decode(Int64?.self)
        saveCount = try r["save_count"].decode(Int64?.self)
        reach = try r["reach"].decode(Int64?.self)
        firstSeenAt = try r["first_seen_at"].decode(Date.self)
        updatedAt = try r["updated_at"].decode(Date.self)
    }
}
