import DequeModule
import Foundation

/// The decisions of `SlidingWindowLimiter`, without the sleeping: at most `limit` calls in any
/// `window`, with time passed in by the caller so that tests drive it with plain dates.
///
/// A call waiting for a slot reserves it at once (the grant is recorded at the slot's time), so
/// callers that arrive while others wait queue up behind them instead of all taking the same slot.
struct SlidingWindow: Sendable, Equatable {
    /// Calls allowed per window (at least one).
    let limit: Int
    /// The window length in seconds.
    let window: TimeInterval
    // Grant times, oldest first; may hold future reservations.
    private var grants: Deque<Date> = []
    /// No grant before this (the platform answered 429).
    private(set) var pausedUntil: Date?

    /// - Parameters:
    ///   - limit: Calls allowed per window; values below one mean one.
    ///   - window: The window length in seconds.
    init(limit: Int, window: TimeInterval) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// Reserves the next free slot for a call wanted at `now`, unless it is more than `maxWait`
    /// seconds away. A grant leaves the window exactly `window` seconds after it was made.
    mutating func reserve(now: Date, maxWait: TimeInterval) -> RateDecision {
        while let first = grants.first, first.addingTimeInterval(window) <= now { grants.removeFirst() }
        var slot = now
        if grants.count >= limit {
            slot = max(slot, grants[grants.count - limit].addingTimeInterval(window))
        }
        if let pausedUntil, pausedUntil > slot { slot = pausedUntil }
        let wait = slot.timeIntervalSince(now)
        if wait > maxWait { return .refuse(after: wait) }
        grants.append(slot)
        return wait > 0 ? .wait(until: slot) : .go
    }

    /// Grants nothing before `until` (the platform answered 429). A shorter pause than the current
    /// one is ignored.
    mutating func pause(until: Date) {
        if pausedUntil.map({ $0 < until }) ?? true { pausedUntil = until }
    }
}
