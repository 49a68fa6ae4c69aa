import Crypto
import Foundation

/// A 128-bit fingerprint of what one run fetched: every post's id, fields, metrics and metric
/// coverage, in order.
///
/// Storing a page the store already holds changes nothing (the same values merge to the same
/// row), and an account's worker is the only writer of its posts. So when a run fetches exactly
/// the page stored last, the worker skips the store's transaction altogether: the common
/// steady-state run (nothing new, no metric moved) then costs no read of the stored posts and
/// no write. Any difference at all, a single like, gives another digest (SHA-256 of every field,
/// length-prefixed, cut to 128 bits) and a full ingest.
///
/// The store keeps the digest in the account's row (`accounts.page_digest`), written in the
/// same transaction as the page it describes, so that a restarted daemon, or another daemon
/// that takes the account's lease over, skips an unchanged page too. A digest that was never
/// stored (or an old binary's rows) just means one full ingest.
public struct PageDigest: Equatable, Sendable {
    private let high: UInt64
    private let low: UInt64

    /// The fingerprint of `posts`.
    public init(_ posts: [FetchedPost]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(posts.count * 192)
        for post in posts { Self.feed(post, into: &bytes) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in SHA256.hash(data: bytes).prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    /// A digest as the store keeps it (32 lowercase hex digits); nil for any other text.
    public init?(text: String) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var count = 0
        for byte in text.utf8 {
            guard count < 32, let digit = Self.hexValue(byte) else { return nil }
            if count < 16 { high = high << 4 | digit } else { low = low << 4 | digit }
            count += 1
        }
        guard count == 32 else { return nil }
        self.high = high
        self.low = low
    }

    /// The stored form: 32 lowercase hex digits.
    public var text: String {
        Self.hex(high) + Self.hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    // A lowercase hex digit's value (the stored form has no other).
    private static func hexValue(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(byte - UInt8(ascii: "a") + 10)
        default: nil
        }
    }

    // Every value is tagged and length-prefixed, so no two different pages give the same bytes
    // (a caption ending in what looks like the next field cannot shift a boundary).
    private static func feed(_ post: FetchedPost, into bytes: inout [UInt8]) {
        feed(post.postID, into: &bytes)
        feed(post.caption, into: &bytes)
        feed(post.mediaType, into: &bytes)
        feed(post.productType, into: &bytes)
        feed(post.permalink, into: &bytes)
        feed(post.publishedAt.map { $0.timeIntervalSince1970.bitPattern }, into: &bytes)
        let metrics = post.metrics
        for value in [
            metrics.likeCount, metrics.commentCount, metrics.viewCount, metrics.shareCount, metrics.saveCount, metrics.reach,
        ] {
            feed(value.map { UInt64(bitPattern: $0) }, into: &bytes)
        }
        feed(UInt64(post.coverage.rawValue), into: &bytes)
    }

    private static func feed(_ text: String?, into bytes: inout [UInt8]) {
        guard let text else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        let utf8 = text.utf8
        append(UInt64(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }

    private static func feed(_ value: UInt64?, into bytes: inout [UInt8]) {
        guard let value else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        append(value, to: &bytes)
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
