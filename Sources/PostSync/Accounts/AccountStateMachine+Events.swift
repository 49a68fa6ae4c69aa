import Foundation

extension AccountStateMachine {
    /// How a sync run ended, as far as scheduling cares.
    public enum RunOutcome: Sendable, Equatable {
        /// Everything asked for was read.
        case succeeded
        /// Stored, but some posts or metrics could not be read (the problems, joined).
        case partial(String)
        /// Failed; retry after backoff (at least `retryAfter` when the platform asked for it).
        case failed(String, retryAfter: Duration?)
        /// The token is dead: no calls until a new one.
        case authDead(String)
        /// The run threw something that is not a sync outcome: scheduled like a failure, and the
        /// supervisor restarts the worker (and counts the crash).
        case crashed(String)

        /// The SyncLog status of a run that ended this way.
        public var status: SyncStatus {
            switch self {
            case .succeeded: .success
            case .partial: .partial
            case .failed, .authDead, .crashed: .error
            }
        }

        /// The SyncLog `errorMessage`.
        public var message: String? {
            switch self {
            case .succeeded: nil
            case .partial(let m), .failed(let m, _), .authDead(let m), .crashed(let m): m
            }
        }
    }

    /// What reaches the machine.
    public enum Event: Sendable, Equatable {
        /// The run loop woke at `now` (the schedule came due or the mailbox delivered triggers).
        case wake(now: Date, triggers: [SyncTrigger])
        /// A run starts; `token` is the token policy's verdict on the stored token.
        case runStarted(token: TokenPolicy.Decision)
        /// The platform rejected the access token as invalid (TikTok `access_token_invalid`);
        /// `canRefresh` says whether a refresh token is stored.
        case accessTokenRejected(String, canRefresh: Bool)
        /// A token refresh answered with a new pair (held in memory, not yet saved).
        case tokenRefreshed
        /// The refreshed pair was written to the store.
        case tokenSaved
        /// Writing the refreshed pair failed.
        case tokenSaveFailed
        /// The run ended at `now`; `observation` is what a successful run saw (the schedule
        /// learns from it), `prices` the daemon's adaptive prices for the account's platform.
        case runFinished(
            RunOutcome, now: Date, observation: SyncObservation = .none, prices: SchedulePrices? = nil)
        /// An operator (or a connect flow) set a new token at `now`.
        case tokenReplaced(now: Date)
        /// autoSync was turned on or off at `now`.
        case autoSyncChanged(Bool, now: Date)
        /// The platform revoked the authorization (TikTok `authorization.removed`).
        case authorizationRemoved(String)
        /// The supervisor parked the account after a crash loop.
        case quarantined(String)
        /// New settings (SIGHUP) at `now`.
        case settingsChanged(Settings, now: Date)
    }

    /// What the account actor does next.
    public enum Action: Sendable, Equatable {
        /// Start a run for this trigger.
        case sync(SyncTrigger)
        /// Nothing to do before this instant; nil: until an event arrives.
        case sleep(until: Date?)
        /// Refresh the token now (a run's first step, or once after a rejected token).
        case refreshToken
        /// Fetch with the token in memory (again, after a refresh).
        case fetch
        /// Write the refreshed token pair to the store (before it is used: TikTok rotates).
        case saveTokens
        /// End the run with this outcome without calling the platform (again).
        case fail(RunOutcome)
        /// An operator's token arrived while the refresh was in flight: theirs wins, drop ours.
        case discardRefreshedTokens
        /// Persist this schedule.
        case persist(AccountSchedule)
        /// Nothing to do.
        case none
    }
}
