import Foundation

/// What a request budget (`SlidingWindow`, `MetaUsageBudget`) answers a caller about to make a
/// call at `now`. The budget has already recorded the call when it says `go` or `wait`.
enum RateDecision: Sendable, Equatable {
    /// Call now.
    case go
    /// Call at `until`: the slot is reserved, sleep until then.
    case wait(until: Date)
    /// The next slot is `after` seconds away, longer than the caller may wait; nothing was recorded.
    case refuse(after: TimeInterval)

    /// A wait of `wait` seconds from `now`: refused when longer than `maxWait`.
    static func refuseOrWait(_ wait: TimeInterval, maxWait: TimeInterval, now: Date) -> RateDecision {
        if wait > maxWait { return .refuse(after: wait) }
        return wait > 0 ? .wait(until: now.addingTimeInterval(wait)) : .go
    }

    /// Carries the decision out: returns, sleeps on `clock` until the slot, or throws.
    /// - Parameter refusal: The message of the `rateLimited` error thrown on a refusal.
    /// - Throws: `PlatformError.rateLimited` with the wait (whole seconds, rounded up) on a refusal,
    ///   `PlatformError.transient` when cancelled while sleeping.
    func carryOut(on clock: any DaemonClock, refusal: @autoclosure () -> String) async throws {
        switch self {
        case .go:
            return
        case .wait(let until):
            do { try await clock.sleep(until: until) } catch {
                throw PlatformError.transient("cancelled while waiting for the request budget")
            }
        case .refuse(let after):
            throw PlatformError.rateLimited(retryAfter: .seconds(after.rounded(.up)), refusal())
        }
    }
}
