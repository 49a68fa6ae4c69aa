import Foundation

/// A daemon-wide request budget for one platform endpoint: at most `limit` calls in any
/// `window` (TikTok: 600 per minute per endpoint, a sliding window). Callers reserve a slot;
/// when the next free slot is too far away the caller is told to come back later instead of
/// sleeping through its sync deadline. The decisions are `SlidingWindow`'s; this actor only
/// serialises them and sleeps on the clock.
actor SlidingWindowLimiter {
    private let clock: any DaemonClock
    private var window: SlidingWindow
    /// The endpoint's name in a shared budget.
    let name: String
    /// The cluster's window, when several daemons share the budget.
    private var shared: (any SharedCallBudget)?

    /// - Parameters:
    ///   - limit: Calls allowed per window.
    ///   - window: The window length.
    ///   - name: The endpoint's name in a shared budget.
    init(limit: Int, window: Duration = .seconds(60), clock: any DaemonClock, name: String = "") {
        self.window = SlidingWindow(limit: limit, window: window.seconds)
        self.clock = clock
        self.name = name
    }

    /// Reserves every call in the cluster's window from now on.
    func share(through shared: any SharedCallBudget) {
        self.shared = shared
    }

    /// Waits for a slot.
    /// - Parameter maxWait: The longest wait worth sleeping for.
    /// - Throws: `PlatformError.rateLimited` with the wait, when it is longer than `maxWait`;
    ///   `PlatformError.transient` when cancelled while waiting.
    func acquire(maxWait: Duration) async throws {
        guard let shared else {
            try await window.reserve(now: clock.now, maxWait: maxWait.seconds)
                .carryOut(on: clock, refusal: "daemon-wide request budget exhausted")
            return
        }
        var waited = Duration.zero
        // A 429 this daemon was given pauses its own calls first.
        if let paused = window.pausedUntil, paused > clock.now {
            let pause = paused.timeIntervalSince(clock.now)
            try await RateDecision.refuseOrWait(pause, maxWait: maxWait.seconds, now: clock.now)
                .carryOut(on: clock, refusal: "request budget paused after a 429")
            waited = .seconds(pause)
        }
        let decision: RateDecision
        do {
            decision = try await shared.reserve(
                name, limit: window.limit, window: window.window, maxWait: max(0, (maxWait - waited).seconds), now: clock.now)
        } catch {
            throw PlatformError.transient("the cluster's request budget could not be read: \(error)")
        }
        try await decision.carryOut(on: clock, refusal: "the cluster's request budget is exhausted")
    }

    /// Stops granting until `until` (the platform answered 429).
    func pause(until: Date) {
        window.pause(until: until)
    }
}
