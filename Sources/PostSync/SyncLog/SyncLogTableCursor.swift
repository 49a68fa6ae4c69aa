import Foundation

/// Which polled `sync_log` rows a follower delivers, and when. Rows are delivered in `seq` order.
/// A missing `seq` below a visible one is usually an insert of another daemon that commits a
/// moment later, so the follower waits for it up to `gapWait` before going past it (a sequence
/// number that a failed insert consumed never appears). A pure decision type: `now` comes in.
public struct SyncLogTableCursor: Sendable, Equatable {
    /// The last `seq` delivered (or skipped over).
    public private(set) var last: Int64
    /// How long a gap is waited for.
    public let gapWait: TimeInterval
    /// Since when the current gap (after `last`) has been seen.
    private var gapSeenAt: Date?

    /// Starts after `last`.
    public init(after last: Int64, gapWait: TimeInterval = 0.5) {
        self.last = last
        self.gapWait = gapWait
    }

    /// Takes the rows one poll returned (`seq > last`, in order) and returns those to deliver
    /// now; the rest come again in the next poll.
    public mutating func accept(_ rows: [SyncLogEntry], now: Date) -> [SyncLogEntry] {
        var deliver: [SyncLogEntry] = []
        for row in rows where row.seq > last {
            if row.seq != last + 1 {
                let seen = gapSeenAt ?? now
                gapSeenAt = seen
                guard now.timeIntervalSince(seen) >= gapWait else { break }
            }
            deliver.append(row)
            last = row.seq
            gapSeenAt = nil
        }
        return deliver
    }
}
