import Foundation

/// The persisted part of an account's schedule: what `AccountStateMachine` decides and the store
/// keeps, so that a restart neither stampedes nor forgets (CONTRACT section 7 `accounts` columns).
public struct AccountSchedule: Sendable, Equatable {
    /// The state shown in `status` (`syncing` is never persisted: a run in flight at a crash is
    /// simply due again).
    public var state: AccountState
    /// When the next scheduled sync is due; nil while nothing is scheduled.
    public var nextSyncAt: Date?
    /// Failed runs in a row.
    public var consecutiveFailures: Int
    /// The last failure's message.
    public var lastError: String?
    /// What the schedule learned (nil: leave the stored one as it is).
    public var rhythm: PostingRhythm?
    /// When the last run that was not an error finished (nil: leave the stored one as it is).
    /// Saved here because a run whose page was unchanged writes nothing else.
    public var lastSyncAt: Date?

    /// Creates a schedule.
    public init(
        state: AccountState, nextSyncAt: Date?, consecutiveFailures: Int = 0, lastError: String? = nil,
        rhythm: PostingRhythm? = nil, lastSyncAt: Date? = nil
    ) {
        self.lastSyncAt = lastSyncAt
        self.rhythm = rhythm
        self.state = state
        self.nextSyncAt = nextSyncAt
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
    }
}
