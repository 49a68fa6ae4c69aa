import Foundation

/// The pure decisions of one account: when to sync next, how long to back off, when auth is
/// dead, what autoSync and a new token change. It never sleeps or reads the clock; callers pass
/// `now` and a random generator, so tests drive a day of schedule in microseconds.
public struct AccountStateMachine: Sendable, Equatable {
    /// The schedule part of the configuration.
    public struct Settings: Sendable, Equatable {
        /// Per-account interval.
        public var interval: Duration
        /// ± fraction of the interval.
        public var jitter: Double
        /// Retry policy after failures.
        public var backoff: Backoff

        /// Creates settings.
        public init(interval: Duration, jitter: Double, backoff: Backoff) {
            self.interval = interval
            self.jitter = jitter
            self.backoff = backoff
        }
    }

    /// How a sync run ended, as far as scheduling cares.
    public enum RunOutcome: Sendable, Equatable {
        /// success or partial.
        case succeeded
        /// Failed; retry after backoff (at least `retryAfter` when the platform asked for it).
        case failed(String, retryAfter: Duration?)
        /// The token is dead.
        case authDead(String)
    }

    /// What the account should do now.
    public enum Wake: Sendable, Equatable {
        /// Sync now.
        case syncNow
        /// Nothing to do before this instant.
        case sleep(until: Date)
        /// Nothing scheduled: wait for an event (paused, needs_reauth, quarantined).
        case waitForEvent
    }

    /// The settings in force.
    public private(set) var settings: Settings
    /// The state shown in `status`.
    public private(set) var state: AccountState
    /// Whether the schedule runs.
    public private(set) var autoSync: Bool
    /// When the next scheduled sync is due (nil while nothing is scheduled).
    public private(set) var nextSyncAt: Date?
    /// Failed runs in a row.
    public private(set) var consecutiveFailures: Int
    /// The last failure's message.
    public private(set) var lastError: String?

    /// Restores an account from its persisted row. A run that was in flight when the daemon
    /// stopped is simply due again; a persisted `next_sync_at` is kept, so a restart neither
    /// stampedes nor forgets; an account never synced is due now.
    public init(settings: Settings, record: AccountRecord, now: Date) {
        self.settings = settings
        autoSync = record.autoSync
        consecutiveFailures = record.consecutiveFailures
        lastError = record.lastError
        nextSyncAt = record.nextSyncAt ?? now
        switch record.state {
        case .needsReauth, .quarantined:
            state = record.state
            nextSyncAt = nil
        case .backoff:
            state = record.autoSync ? .backoff : .paused
        case .idle, .syncing, .paused:
            state = record.autoSync ? .idle : .paused
        }
        if !autoSync { nextSyncAt = nil }
    }

    /// What to do at `now`.
    public func wake(now: Date) -> Wake {
        switch state {
        case .needsReauth, .quarantined, .paused: return .waitForEvent
        case .syncing: return .waitForEvent
        case .idle, .backoff:
            guard let next = nextSyncAt else { return .waitForEvent }
            return next <= now ? .syncNow : .sleep(until: next)
        }
    }

    /// Whether a run may start for this trigger. Dead auth never calls the platform; a webhook or
    /// schedule does not wake a paused or quarantined account, an operator does.
    public func mayRun(_ trigger: SyncTrigger) -> Bool {
        switch state {
        case .needsReauth, .syncing: false
        case .quarantined: trigger == .manual
        case .paused: trigger == .manual
        case .idle, .backoff: true
        }
    }

    /// A run starts.
    public mutating func runStarted() {
        if state == .quarantined { lastError = nil }
        state = .syncing
    }

    /// A run ended: schedule the next one.
    public mutating func runFinished(_ outcome: RunOutcome, now: Date, random: inout some RandomNumberGenerator) {
        switch outcome {
        case .succeeded:
            consecutiveFailures = 0
            lastError = nil
            state = autoSync ? .idle : .paused
            nextSyncAt = autoSync ? now.addingTimeInterval(jitteredInterval(using: &random)) : nil
        case .failed(let message, let retryAfter):
            consecutiveFailures += 1
            lastError = message
            var wait = settings.backoff.delay(failures: consecutiveFailures, using: &random).seconds
            if let retryAfter { wait = max(wait, retryAfter.seconds) }
            state = autoSync ? .backoff : .paused
            nextSyncAt = autoSync ? now.addingTimeInterval(wait) : nil
        case .authDead(let message):
            consecutiveFailures += 1
            lastError = message
            state = .needsReauth
            nextSyncAt = nil
        }
    }

    /// autoSync toggled. Turning it on syncs soon; dead auth stays dead until a new token.
    public mutating func setAutoSync(_ enabled: Bool, now: Date) {
        autoSync = enabled
        switch state {
        case .needsReauth, .syncing: return
        case .quarantined:
            // Toggling is an operator's way to give a parked account another chance.
            lastError = nil
        case .idle, .backoff, .paused: break
        }
        state = enabled ? .idle : .paused
        nextSyncAt = enabled ? now : nil
    }

    /// An operator set a new token: auth is alive again and the account syncs now.
    public mutating func tokenReplaced(now: Date) {
        guard state != .syncing else { return }
        consecutiveFailures = 0
        lastError = nil
        state = autoSync ? .idle : .paused
        nextSyncAt = autoSync ? now : nil
    }

    /// The platform told us the authorization is gone (TikTok `authorization.removed`).
    public mutating func authorizationRemoved(_ message: String) {
        state = .needsReauth
        lastError = message
        nextSyncAt = nil
    }

    /// The supervisor parked the account after a crash loop.
    public mutating func quarantine(_ message: String) {
        state = .quarantined
        lastError = message
        nextSyncAt = nil
    }

    /// New settings (SIGHUP). A shorter interval takes effect at once (the pending sync moves
    /// earlier); a longer one from the next sync on.
    public mutating func apply(_ settings: Settings, now: Date, random: inout some RandomNumberGenerator) {
        let shorter = settings.interval < self.settings.interval
        self.settings = settings
        guard shorter, state == .idle, let next = nextSyncAt else { return }
        nextSyncAt = min(next, now.addingTimeInterval(jitteredInterval(using: &random)))
    }

    /// The interval ± jitter.
    func jitteredInterval(using random: inout some RandomNumberGenerator) -> TimeInterval {
        let base = settings.interval.seconds
        guard settings.jitter > 0 else { return base }
        return base * (1 + Double.random(in: -settings.jitter...settings.jitter, using: &random))
    }
}
