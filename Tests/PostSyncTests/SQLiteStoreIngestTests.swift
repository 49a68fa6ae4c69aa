import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The SQLite store's ingest finds the posts it already has by id, whatever the id holds.
@Suite struct SQLiteStoreIngestTests {
    /// Ids a platform is unlikely to send but the store must not confuse: quotes, backslashes,
    /// control characters, non-ASCII, and two that differ only by an escape.
    static let oddIDs = [
        "17900000000000001", #"quote"inside"#, #"back\slash"#, "tab\there", "new\nline", "caf\u{e9}",
        "\u{1F4F8}", #"\u0041"#, "A", "", " ", "ends with \\",
    ]

    /// Should write a JSON array that a JSON reader reads back as the same strings.
    @Test func jsonArrayRoundTrips() throws {
        for strings in [[], ["a"], Self.oddIDs] {
            let json = SQLiteStore.jsonArray(strings)
            let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
            #expect(decoded == strings, "\(json)")
        }
    }

    /// Should find every stored post again on a second page: nothing inserted twice, only the
    /// post whose one like count changed written, and a third, unchanged page writing nothing.
    @Test(arguments: [oddIDs, ["17900000000000001"]])
    func secondPageFindsStoredPostsByID(ids: [String]) async throws {
        try await Self.withStore { store, account, now throws in
            func post(_ id: String, likes: Int64) -> FetchedPost {
                FetchedPost(
                    postID: id, caption: "c", mediaType: "IMAGE", permalink: nil, publishedAt: now,
                    metrics: PostMetrics(likeCount: likes), coverage: [.likes])
            }
            let first = ids.map { post($0, likes: 1) }
            let stored = try await store.ingest(first, for: account, now: now)
            #expect(stored.synced == ids.count)

            var second = first
            second[second.count - 1].metrics.likeCount = 2
            let again = try await store.ingest(second, for: account, now: now.addingTimeInterval(60))
            #expect(again.found == ids.count)
            #expect(again.synced == 1)
            let unchanged = try await store.ingest(second, for: account, now: now.addingTimeInterval(120))
            #expect(unchanged.synced == 0)
            #expect(try await store.postCounts()[account.description] == ids.count)
            // One history row per new post and one for the changed one, each with the post's metrics
            // as written at that time.
            for (index, id) in ids.enumerated() {
                let likes = try await store.metricHistory(platform: .instagram, postID: id).map(\.likeCount)
                #expect(likes == (index == ids.count - 1 ? [1, 2] : [1]), "\(id.debugDescription)")
            }
        }
    }

    /// Should refuse a page with an id holding a NUL (SQLite would never find that post again),
    /// and store nothing of it.
    @Test func nulInAnIDFailsThePage() async throws {
        try await Self.withStore { store, account, now throws in
            let posts = ["1", "nul\u{0}byte"].map {
                FetchedPost(
                    postID: $0, caption: nil, mediaType: nil, permalink: nil, publishedAt: now,
                    metrics: PostMetrics(likeCount: 1), coverage: [.likes])
            }
            await #expect(throws: StoreError.self) { try await store.ingest(posts, for: account, now: now) }
            #expect(try await store.postCounts()[account.description] == nil)
        }
    }

    /// Runs `body` with a fresh store in a temporary directory holding one Instagram account.
    private static func withStore(_ body: (SQLiteStore, AccountID, Date) async throws -> Void) async throws {
        try await withTemporaryDirectory("postsync-ingest") { directory in
            let store = try SQLiteStore(path: directory + "/store.sqlite")
            let now = Date(timeIntervalSince1970: 1_795_000_000)
            let account = try #require(AccountID("instagram:17841400000000001"))
            try await store.insertAccounts([AccountRecord(id: account, accessToken: "t", createdAt: now)])
            try await body(store, account, now)
        }
    }
}
