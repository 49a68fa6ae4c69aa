import Foundation
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
}
