import Crypto
import Foundation

/// Remembers recently seen webhook bodies so that redeliveries are acknowledged and ignored.
///
/// Meta retries a delivery for up to 36 hours and TikTok for up to 72, and both promise only
/// "at least once", so the same raw body can arrive several times. CONTRACT §5: a delivery whose
/// raw body was already seen within the window is answered 200 and not acted on. Only a 32-byte
/// key of each body is kept (its SHA-256 digest), never the body, and memory is bounded by
/// `capacity`.
public final class WebhookDeduplicator: Sendable {
    /// What a body is remembered by: the 32 bytes of its SHA-256 digest, held inline.
    public struct Key: Hashable, Sendable {
        private let words: (UInt64, UInt64, UInt64, UInt64)

        /// The key made of `bytes`: exactly 32 of them (a SHA-256 digest).
        public init(_ bytes: some ContiguousBytes) {
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { key in
                bytes.withUnsafeBytes { source in
                    precondition(source.count == key.count, "a de-duplication key is 32 bytes")
                    key.copyMemory(from: source)
                }
            }
            self.words = words
        }

        /// The key of a body: its SHA-256 digest.
        public init(digestOf body: Data) {
            self.init(SHA256.hash(data: body))
        }

        public static func == (a: Key, b: Key) -> Bool {
            a.words == b.words
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }

    /// One remembered body: its digest and when it was first seen.
    private struct Entry {
        var key: Key
        var seenAt: Date
    }

    private struct State {
        /// First-seen time by key.
        var seen: [Key: Date] = [:]
        /// Insertion order, oldest first, from `head` on (a queue without a dependency).
        var order: [Entry] = []
        /// Index of the oldest live element of `order`.
        var head = 0

        /// Removes the oldest entry; returns false when there is none.
        mutating func dropOldest() -> Bool {
            guard head < order.count else { return false }
            let oldest = order[head]
            head += 1
            // A key re-recorded after its first entry expired has a newer time: keep it.
            if seen[oldest.key] == oldest.seenAt { seen[oldest.key] = nil }
            compactIfNeeded()
            return true
        }

        /// Drops every entry first seen before `cutoff`, oldest first.
        mutating func evict(before cutoff: Date) {
            while head < order.count, order[head].seenAt < cutoff {
                _ = dropOldest()
            }
        }

        /// Reclaims the consumed prefix of `order` once it is large, keeping removal amortised O(1).
        private mutating func compactIfNeeded() {
            guard head >= 1_024, head * 2 >= order.count else { return }
            order.removeFirst(head)
            head = 0
        }
    }

    /// How long a body counts as a duplicate, in seconds.
    private let window: TimeInterval
    /// The most keys kept at once.
    private let capacity: Int
    private let state = Locked(State())

    /// Creates an empty deduplicator.
    /// - Parameters:
    ///   - window: How long a body counts as seen (CONTRACT: 10 minutes).
    ///   - capacity: The most bodies remembered; beyond it the oldest are forgotten first.
    public init(window: Duration = .seconds(600), capacity: Int = 100_000) {
        let parts = window.components
        self.window = Double(parts.seconds) + Double(parts.attoseconds) / 1e18
        self.capacity = max(1, capacity)
    }

    /// Whether `body` was already seen within the window before `now`. A body that was not is
    /// recorded as seen at `now`; a duplicate does not extend its own window.
    public func isDuplicate(_ body: Data, now: Date) -> Bool {
        // Hash outside the lock: a 1,000-entry Meta batch is a few hundred kilobytes.
        isDuplicate(key: Key(digestOf: body), now: now)
    }

    /// Whether the body named by `key` was already seen within the window before `now`; a body
    /// that was not is recorded as seen at `now`.
    public func isDuplicate(key: Key, now: Date) -> Bool {
        let cutoff = now.addingTimeInterval(-window)
        return state.withLock { state in
            state.evict(before: cutoff)
            if let seenAt = state.seen[key], seenAt >= cutoff {
                return true
            }
            state.seen[key] = now
            state.order.append(Entry(key: key, seenAt: now))
            while state.seen.count > capacity, state.dropOldest() {}
            return false
        }
    }

    /// The number of bodies currently remembered.
    public var count: Int {
        state.withLock { $0.seen.count }
    }
}
