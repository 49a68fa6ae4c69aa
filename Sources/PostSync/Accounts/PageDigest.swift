import Foundation

/// A 128-bit fingerprint of what one run fetched: every post's id, fields, metrics and metric
/// coverage, in order.
///
/// Storing a page the store already holds changes nothing (the same values merge to the same
/// row), and an account's worker is the only writer of its posts. So when a run fetches exactly
/// the page the worker stored last, the worker skips the store's transaction altogether: the
/// common steady-state run (nothing new, no metric moved) then costs no read of the stored
/// posts and no write. Any difference at all, a single like, gives another digest (two
/// independent 64-bit SipHash values: a collision is about 2⁻¹²⁸ per run) and a full ingest.
/// Kept in memory only (a restarted worker ingests its first page in full).
struct PageDigest: Equatable, Sendable {
    private let first: Int
    private let second: Int

    /// The fingerprint of `posts`.
    init(_ posts: [FetchedPost]) {
        var a = Hasher()
        var b = Hasher()
        // Different prefixes make the two hashes independent of each other.
        a.combine(UInt8(1))
        b.combine(UInt8(2))
        for post in posts {
            Self.feed(post, into: &a)
            Self.feed(post, into: &b)
        }
        first = a.finalize()
        second = b.finalize()
    }

    private static func feed(_ post: FetchedPost, into hasher: inout Hasher) {
        hasher.combine(post.postID)
        hasher.combine(post.caption)
        hasher.combine(post.mediaType)
        hasher.combine(post.productType)
        hasher.combine(post.permalink)
        hasher.combine(post.publishedAt?.timeIntervalSince1970.bitPattern)
        let metrics = post.metrics
        hasher.combine(metrics.likeCount)
        hasher.combine(metrics.commentCount)
        hasher.combine(metrics.viewCount)
        hasher.combine(metrics.shareCount)
        hasher.combine(metrics.saveCount)
        hasher.combine(metrics.reach)
        hasher.combine(post.coverage.rawValue)
    }
}
