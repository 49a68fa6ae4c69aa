import Foundation

/// A daemon-wide request budget for one platform endpoint: at most `limit` calls in any
/// `window` (TikTok: 600 per minute per endpoint, a sliding window). Callers reserve a slot;
/// when the next free slot is too far away the caller is told to come back later instead of
/// sleeping through its sync deadline. The decisions are `SlidingWindow`'s; this actor only
/// serialises them and sleeps on the clock.
actor SlidingWindowLimiter {
    private let clock: any DaemonClock
    private var window: SlidingWindow

    /// - Parameters:
    ///   - limit: Calls allowed per window.
    ///   - window: The window length.
    init(limit: Int, window: Duration = .seconds(60), clock: any DaemonClock) {
        self.window = SlidingWindow(limit: limit, window: window.seconds)
        self.clock = clock
    }

    /// Waits for a slot.
    /// - Parameter maxWait: The longest wait worth sleeping for.
    /// - Throws: `PlatformError.rateLimited` with the wait, when it is longer than `maxWait`;
    ///   `PlatformError.transient` when cancelled while waiting.
    func acquire(maxWait: Duration) async throws {
        try await window.reserve(now: clock.now, maxWait: maxWait.seconds)
            .carryOut(on: clock, refusal: "daemon-wide request budget exhausted")
    }

    /// Changes the limit per window.
    func setLimit(_ limit: Int) {
        window.setLimit(limit)
    }

    /// Stops granting until `until` (the platform answered 429).
    func pause(until: Date) {
        window.pause(until: until)
    }
}
