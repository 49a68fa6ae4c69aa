import Foundation

/// The times of the events inside a sliding time window, oldest first.
///
/// Events arrive in time order, so the ones that left the window are always at the front: they
/// are skipped by moving `head`, and the storage is compacted only now and then. Filtering the
/// whole window on every request instead made the simulator's TikTok limit cost grow with the
/// request rate (60,000 dates scanned per request at 1,000 requests a second).
struct SlidingWindow: Sendable {
    private var times: [Date] = []
    private var head = 0

    /// Events still inside the window.
    var count: Int { times.count - head }

    /// Drops the events at or before `horizon`.
    mutating func removeUntil(_ horizon: Date) {
        while head < times.count, times[head] <= horizon { head += 1 }
        // Compact once the skipped prefix is the larger part, so each event is moved O(1) times.
        if head > 1_024, head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
    }

    /// Adds an event at `time` (not earlier than the last one).
    mutating func append(_ time: Date) {
        times.append(time)
    }
}
