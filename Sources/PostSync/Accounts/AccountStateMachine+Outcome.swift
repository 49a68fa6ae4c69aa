import Foundation

extension AccountStateMachine {
    /// How a run that threw ended: dead auth, a failure to back off from (at least as long as
    /// the platform asked), or a crash the supervisor counts.
    public static func outcome(of error: any Error) -> RunOutcome {
        switch error {
        case let ended as RunEnded:
            return ended.outcome
        case let platform as PlatformError:
            switch platform {
            case .deadAuth: return .authDead(platform.description)
            case .rateLimited(let after, _): return .failed(platform.description, retryAfter: after)
            default: return .failed(platform.description, retryAfter: nil)
            }
        case let deadline as DeadlineExceeded:
            return .failed(deadline.description, retryAfter: nil)
        case let failure as RunFailure:
            return .failed(failure.description, retryAfter: nil)
        case StoreError.unavailable:
            // A database outage fails the run; it is not the worker's fault, so it is no crash
            // (a crash loop would quarantine every account during one outage).
            return .failed("\(error)", retryAfter: nil)
        default:
            return .crashed("internal error: \(error)")
        }
    }

    /// Whether the run in flight refreshed the token (its SyncLog entry says so).
    public var refreshedInRun: Bool { run?.refreshed ?? false }
}
