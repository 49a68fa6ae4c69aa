import Foundation
import GRDB
import PostSyncTestSupport
import Testing

@testable import PostSync

struct PageDigestTests {
    static let published = Date(timeIntervalSince1970: 1_795_000_000)

    static func page() -> [FetchedPost] {
        [samplePost("a", publishedAt: published, likes: 5), samplePost("b", publishedAt: published, likes: 7)]
    }

    /// Should give the same page the same digest, so that it is not stored twice.
    @Test func samePageSameDigest() {
        #expect(PageDigest(Self.page()) == PageDigest(Self.page()))
        #expect(PageDigest([]) == PageDigest([]))
    }

    /// Should tell apart every change the store would keep: any field, any metric (one like),
    /// the coverage, the order and the set of posts.
    @Test func anyChangeChangesTheDigest() {
        let base = PageDigest(Self.page())
        let changes: [(String, (inout FetchedPost) -> Void)] = [
            ("one like", { $0.metrics.likeCount = 8 }),
            ("a like count lost", { $0.metrics.likeCount = nil }),
            ("one comment", { $0.metrics.commentCount = 1 }),
            ("views", { $0.metrics.viewCount = 0 }),
            ("shares", { $0.metrics.shareCount = 0 }),
            ("saves", { $0.metrics.saveCount = 0 }),
            ("reach", { $0.metrics.reach = 0 }),
            ("caption", { $0.caption = "post b!" }),
            ("no caption", { $0.caption = nil }),
            ("media type", { $0.mediaType = "VIDEO" }),
            ("product type", { $0.productType = "REELS" }),
            ("permalink", { $0.permalink = nil }),
            ("publication time", { $0.publishedAt = Self.published.addingTimeInterval(0.001) }),
            ("coverage", { $0.coverage.insert(.reach) }),
            ("id", { $0.postID = "c" }),
        ]
        for (name, change) in changes {
            var page = Self.page()
            change(&page[1])
            #expect(PageDigest(page) != base, "\(name)")
        }
        #expect(PageDigest(Self.page().reversed()) != base, "order")
        #expect(PageDigest(Array(Self.page().prefix(1))) != base, "a post fewer")
        #expect(PageDigest(Self.page() + [samplePost("c", publishedAt: Self.published)]) != base, "a post more")
    }

    /// Should keep its stored form across processes (a restarted daemon compares with what an
    /// earlier one stored) and read back only that form.
    @Test func storedForm() throws {
        let digest = PageDigest(Self.page())
        #expect(digest.text == Self.expectedText, "the digest must not depend on the process (no seeded Hasher)")
        #expect(PageDigest(text: digest.text) == digest)
        for bad in [
            "", String(digest.text.dropLast()), digest.text.uppercased(), digest.text + "0", "g" + digest.text.dropFirst(),
        ] {
            #expect(PageDigest(text: bad) == nil, "\(bad)")
        }
    }

    static let expectedText = "1d9b59c6bfc98c7b841fb1c281f62973"

    /// Should tell apart pages whose fields only move a boundary ("ab" + "c" and "a" + "bc").
    @Test func fieldBoundaries() {
        var first = Self.page()
        var second = Self.page()
        first[0].caption = "ab"
        first[0].mediaType = "c"
        second[0].caption = "a"
        second[0].mediaType = "bc"
        #expect(PageDigest(first) != PageDigest(second))
    }

    /// Should be kept by the store with the page it describes, and cleared by an ingest that
    /// does not say what the page is.
    @Test(arguments: StoreBackend.all) func keptWithThePage(backend: StoreBackend) async throws {
        try await TokenVaultTests.withBase(backend) { store in
            let id = AccountID(platform: .instagram, externalID: "d1")
            try await store.insertAccounts([
                AccountRecord(id: id, accessToken: "t", createdAt: Date(timeIntervalSince1970: 1_700_000_000))
            ])
            #expect(try await store.account(id)?.pageDigest == nil)
            let digest = PageDigest(Self.page())
            let now = Self.published.addingTimeInterval(60)
            #expect(try await store.ingest(Self.page(), for: id, now: now, fence: nil, digest: digest).synced == 2)
            #expect(try await store.account(id)?.pageDigest == digest)
            #expect(try await store.accounts().first?.pageDigest == digest)
            // The same page again: nothing changes, the digest stays.
            #expect(try await store.ingest(Self.page(), for: id, now: now, fence: nil, digest: digest).synced == 0)
            #expect(try await store.account(id)?.pageDigest == digest)
            _ = try await store.ingest(Array(Self.page().prefix(1)), for: id, now: now)
            #expect(try await store.account(id)?.pageDigest == nil, "a plain ingest clears it")
        }
    }

    /// Should skip an unchanged page after a restart too: the digest stored with the page is read
    /// back with the account's row. (The stored row is changed behind the daemon's back to see
    /// that the second daemon did not touch the store: a full ingest would put 7 back.)
    @Test func storedDigestSkipsUnchangedPageAfterRestart() async throws {
        let clock = ManualClock()
        let published = clock.now.addingTimeInterval(-3_600)
        let page = [samplePost("a", publishedAt: published, likes: 5), samplePost("b", publishedAt: published, likes: 7)]
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let id = AccountID(platform: .instagram, externalID: "1")
        let first = FakePlatformClient()
        first.script(.posts(page))
        try await SupervisorHarness(clients: [.instagram: first], clock: clock, directory: directory).run { h in
            _ = try await h.supervisor.addAccount(.test(.instagram, "1", at: clock.now))
            try await eventually("first run") { try h.entries(id).count == 1 }
            #expect(try await h.store.account(id)?.pageDigest == PageDigest(page))
            let sqlite = try #require(h.store as? SQLiteStore)
            try await sqlite.writer.write { db in
                try db.execute(sql: "UPDATE posts SET like_count = 999 WHERE post_id = 'b'")
            }
        }
        let second = FakePlatformClient()
        second.script(.posts(page), .posts(page))
        try await SupervisorHarness(clients: [.instagram: second], clock: clock, directory: directory).run { h in
            try await eventually("worker started") { await h.supervisor.worker(id) != nil }
            guard let mailbox = await h.supervisor.worker(id)?.mailbox else { throw TimedOut(what: "worker") }
            let promise = Promise<SyncLogEntry?>()
            mailbox.post(.trigger(.manual, promise))
            let entry = await promise.value
            #expect(entry?.status == .success)
            #expect(entry?.postsSynced == 0)
            let stored = try await h.store.posts(account: id, since: nil, limit: 10)
            #expect(stored.first { $0.postId == "b" }?.likeCount == 999, "the unchanged page must not reach the store")
        }
    }
}
