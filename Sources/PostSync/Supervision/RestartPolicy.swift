import Foundation

/// The supervisor's crash-loop guard, per account (OTP's intensity and period,
/// reference/anchors.md B.1–B.3): a worker that crashes is restarted after a short exponential
/// delay; more than `maxRestarts` crashes within `window` parks the account as `quarantined`
/// instead of taking the daemon down.
public struct RestartPolicy: Sendable, Equatable {
    /// Crashes tolerated within the window.
    public var maxRestarts: Int
    /// The window.
    public var window: Duration
    private var crashes: [Date] = []

    /// What to do after a crash.
    public enum Decision: Sendable, Equatable {
        /// Restart after this delay.
        case restart(after: Duration)
        /// Park the account.
        case quarantine(crashes: Int)
    }

    /// Creates a policy with no crash recorded.
    public init(maxRestarts: Int, window: Duration) {
        self.maxRestarts = maxRestarts
        self.window = window
    }

    /// Records a crash at `now` and decides.
    public mutating func crashed(at now: Date) -> Decision {
        let horizon = now.addingTimeInterval(-window.seconds)
        crashes.removeAll { $0 < horizon }
        crashes.append(now)
        if crashes.count > maxRestarts {
            let count = crashes.count
            crashes.removeAll()
            return .quarantine(crashes: count)
        }
        // 1 s, 2 s, 4 s … but never longer than the window, so the count stays meaningful.
        let delay = min(window.seconds, pow(2, Double(crashes.count - 1)))
        return .restart(after: .seconds(delay))
    }
}
