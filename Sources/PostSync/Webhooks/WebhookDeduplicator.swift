import Crypto
import Foundation

/// Remembers recently seen webhook bodies so that redeliveries are acknowledged and ignored.
///
/// Meta retries a delivery for up to 36 hours and TikTok for up to 72, and both promise only
/// "at least once", so the same raw body can arrive several times. CONTRACT §5: a delivery whose
/// raw body was already seen within the window is answered 200 and not acted on. Only the
/// SHA-256 digest of each body is kept, never the body, and memory is bounded by `capacity`.
public final class WebhookDeduplicator: Sendable {
    /// One remembered body: its digest and when it was first seen.
    private struct Entry {
        var digest: SHA256.Digest
        var seenAt: Date
    }

    private struct State {
        /// First-seen time by digest.
        var seen: [SHA256.Digest: Date] = [:]
        /// Insertion order, oldest first, from `head` on (a queue without a dependency).
        var order: [Entry] = []
        /// Index of the oldest live element of `order`.
        var head = 0

        /// Removes the oldest entry; returns false when there is none.
        mutating func dropOldest() -> Bool {
            guard head < order.count else { return false }
            let oldest = order[head]
            head += 1
            // A digest re-recorded after its first entry expired has a newer time: keep it.
            if seen[oldest.digest] == oldest.seenAt { seen[oldest.digest] = nil }
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
    /// The most digests kept at once.
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
        let digest = SHA256.hash(data: body)
        let cutoff = now.addingTimeInterval(-window)
        return state.withLock { state in
            state.evict(before: cutoff)
            if let seenAt = state.seen[digest], seenAt >= cutoff {
                return true
            }
            state.seen[digest] = now
            state.order.append(Entry(digest: digest, seenAt: now))
            while state.seen.count > capacity, state.dropOldest() {}
            return false
        }
    }

    /// The number of bodies currently remembered.
    public var count: Int {
        state.withLock { $0.seen.count }
    }
}
