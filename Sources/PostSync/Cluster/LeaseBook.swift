import Foundation

/// The leases this daemon holds, shared by the coordinator that claims and renews them and the
/// account workers that ask how much of theirs is left. Times are this process's monotonic clock:
/// a lease is counted from just before the statement that granted or renewed it was sent, so the
/// local view of its end is never later than the database's.
public final class LeaseBook: Sendable {
    /// One lease.
    public struct Entry: Sendable, Equatable {
        /// The epoch it was claimed with.
        public var epoch: Int64
        /// When it ends at the latest, on the monotonic clock.
        public var endsAt: ContinuousClock.Instant
    }

    /// This daemon's node id.
    public let node: String
    /// `cluster.lease`.
    public let lease: Duration
    private let entries = Locked<[AccountID: Entry]>([:])

    /// Creates an empty book.
    public init(node: String, lease: Duration) {
        self.node = node
        self.lease = lease
    }

    /// The fence of an account this daemon holds.
    public func fence(for id: AccountID) -> LeaseFence? {
        entries.withLock { $0[id] }.map { LeaseFence(node: node, epoch: $0.epoch) }
    }

    /// How much of the lease on `id` with `epoch` is left (nil: not held with that epoch).
    public func remaining(_ id: AccountID, epoch: Int64, now: ContinuousClock.Instant = .now) -> Duration? {
        guard let entry = entries.withLock({ $0[id] }), entry.epoch == epoch else { return nil }
        return max(.zero, entry.endsAt - now)
    }

    /// Records a claim granted by a statement sent at `sentAt`.
    public func claimed(_ id: AccountID, epoch: Int64, sentAt: ContinuousClock.Instant) {
        entries.withLock { $0[id] = Entry(epoch: epoch, endsAt: sentAt + lease) }
    }

    /// Records renewals (or an extension to `length`) granted by a statement sent at `sentAt`;
    /// only for the epochs held.
    public func renewed(_ leases: [AccountID: Int64], sentAt: ContinuousClock.Instant, length: Duration? = nil) {
        let end = sentAt + (length ?? lease)
        entries.withLock { entries in
            for (id, epoch) in leases {
                guard var entry = entries[id], entry.epoch == epoch else { continue }
                entry.endsAt = max(entry.endsAt, end)
                entries[id] = entry
            }
        }
    }

    /// Forgets a lease (lost, released or given up).
    public func remove(_ id: AccountID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// Every lease held, with its epoch.
    public var held: [AccountID: Int64] {
        entries.withLock { $0.mapValues(\.epoch) }
    }

    /// How many leases are held.
    public var count: Int { entries.withLock { $0.count } }
}
