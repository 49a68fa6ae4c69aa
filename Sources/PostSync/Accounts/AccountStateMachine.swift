import Foundation

/// Every decision about one account, in one pure type: when to sync next and for which trigger,
/// how long to back off, when auth is dead, what to do about the token inside a run (refresh,
/// retry once after `access_token_invalid`, retry a failed save, let an operator's token win a
/// race), and what autoSync, a new token, a revoked authorization or a crash loop change.
///
/// It takes events and returns the action the account actor carries out (the shape of
/// hummingbird's connection state machines). It never sleeps, reads the clock or does I/O:
/// callers pass `now` and a random generator, so tests drive a day of schedule in microseconds.
public struct AccountStateMachine: Sendable, Equatable {
    /// The schedule part of the configuration.
    public struct Settings: Sendable, Equatable {
        /// Per-account interval.
        public var interval: Duration
        /// ± fraction of the interval.
        public var jitter: Double
        /// Retry policy after failures.
        public var backoff: Backoff
        /// `sync.schedule`: fixed, or adaptive within its limits.
        public var mode: ScheduleMode

        /// Creates settings.
        public init(interval: Duration, jitter: Double, backoff: Backoff, mode: ScheduleMode = .fixed) {
            self.interval = interval
            self.jitter = jitter
            self.backoff = backoff
            self.mode = mode
        }
    }

    /// The run in flight, as far as decisions care.
    struct Run: Sendable, Equatable {
        /// The token was refreshed during this run (at most one refresh per run).
        var refreshed = false
        /// A refresh has been asked for and not answered yet.
        var refreshing = false
        /// An operator's token arrived during the run: the run's verdict was about the old one.
        var tokenReplaced = false
        /// An operator's token arrived while the refresh was in flight.
        var tokenReplacedDuringRefresh = false
        /// Failed attempts to save the refreshed pair in this run.
        var saveFailures = 0
        /// What the token policy said, to act on once the pending save succeeded.
        var afterSave: TokenPolicy.Decision?
    }

    /// Attempts at writing a refreshed pair within one run before the run fails (the pair stays
    /// in memory and is written first in the next run).
    static let tokenSaveAttempts = 3

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
    /// A refreshed pair that is not in the store yet: it is written before anything else.
    public private(set) var hasUnsavedTokens = false
    /// What the schedule learned about the account (learned under either schedule, used by the
    /// adaptive one).
    public private(set) var rhythm: PostingRhythm
    /// The interval the schedule last planned, in seconds (`status` `syncInterval`).
    public private(set) var plannedInterval: TimeInterval
    /// The run in flight.
    private(set) var run: Run?
    /// When the last run ended: webhook runs keep `webhookSpacing` from it.
    private(set) var lastRunEndedAt: Date?
    /// A webhook asked for a run that waits out `webhookSpacing` (any run that starts covers it).
    private(set) var pendingWebhook = false

    /// The least time between the end of a run and a run a webhook asks for. Meta sends a
    /// webhook per comment or mention: a busy post can send many a second, and each used to
    /// start a run as soon as the last ended (a benchmark storm of 16,000 a second synced each
    /// account every few milliseconds, two thirds of the machine). A webhook that arrives sooner
    /// waits, coalesced with the ones after it; an operator's, cron's or the schedule's run does
    /// not wait.
    public static let webhookSpacing: TimeInterval = 1

    /// Restores an account from its persisted row. A run that was in flight when the daemon
    /// stopped is simply due again; a persisted `next_sync_at` is kept, so a restart neither
    /// stampedes nor forgets; an account never synced is due now.
    public init(settings: Settings, record: AccountRecord, now: Date) {
        self.settings = settings
        autoSync = record.autoSync
        consecutiveFailures = record.consecutiveFailures
        lastError = record.lastError
        nextSyncAt = record.nextSyncAt ?? now
        rhythm = record.rhythm ?? PostingRhythm()
        plannedInterval = settings.interval.seconds
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

    /// The schedule as the store keeps it (`syncing` is persisted as `idle`).
    public var schedule: AccountSchedule {
        AccountSchedule(
            state: state == .syncing ? .idle : state, nextSyncAt: nextSyncAt, consecutiveFailures: consecutiveFailures,
            lastError: lastError, rhythm: rhythm.isPrior ? nil : rhythm)
    }

    /// Whether `POST /v1/sync`, the cron endpoint and `serve --once` include this account:
    /// autoSync on, and neither dead auth nor a crash loop.
    public var isActive: Bool {
        autoSync && state != .needsReauth && state != .quarantined
    }

    /// Whether the scheduled sync is due at `now`.
    public func isDue(now: Date) -> Bool {
        guard state == .idle || state == .backoff, let next = nextSyncAt else { return false }
        return next <= now
    }

    /// Whether a run may start for this trigger. Dead auth never calls the platform; a webhook or
    /// schedule does not wake a paused or quarantined account, an operator does.
    public func mayRun(_ trigger: SyncTrigger) -> Bool {
        switch state {
        case .needsReauth, .syncing: false
        case .quarantined, .paused: trigger == .manual
        case .idle, .backoff: true
        }
    }

    /// The trigger a run carries when several asked at once: an operator's beats cron's, which
    /// beats a webhook's, which beats the schedule's (the SyncLog entry carries one).
    public static func strongest(_ triggers: [SyncTrigger]) -> SyncTrigger? {
        func rank(_ trigger: SyncTrigger) -> Int {
            switch trigger {
            case .schedule: 0
            case .webhook: 1
            case .cron: 2
            case .manual: 3
            }
        }
        return triggers.max { rank($0) < rank($1) }
    }

    /// Handles one event and says what to do.
    public mutating func handle(_ event: Event, random: inout some RandomNumberGenerator) -> Action {
        switch event {
        case .wake(let now, let triggers): return wake(now: now, triggers: triggers)
        case .runStarted(let token): return runStarted(token: token)
        case .accessTokenRejected(let message, let canRefresh):
            guard var run, !run.refreshed, canRefresh else { return .fail(.authDead(message)) }
            run.refreshing = true
            self.run = run
            return .refreshToken
        case .tokenRefreshed: return tokenRefreshed()
        case .tokenSaved:
            hasUnsavedTokens = false
            guard var run else { return .none }
            run.saveFailures = 0
            let next = run.afterSave
            run.afterSave = nil
            self.run = run
            return next.map { proceed($0) } ?? .none
        case .tokenSaveFailed:
            guard var run else { return .none }
            run.saveFailures += 1
            self.run = run
            return run.saveFailures < Self.tokenSaveAttempts
                ? .saveTokens : .fail(.failed("the refreshed token could not be saved to the database", retryAfter: nil))
        case .runFinished(let outcome, let now, let observation, let prices):
            return runFinished(outcome, now: now, observation: observation, prices: prices, random: &random)
        case .tokenReplaced(let now): return tokenReplaced(now: now)
        case .autoSyncChanged(let enabled, let now): return autoSyncChanged(enabled, now: now)
        case .authorizationRemoved(let message):
            state = .needsReauth
            lastError = message
            nextSyncAt = nil
            return .persist(schedule)
        case .quarantined(let message):
            state = .quarantined
            lastError = message
            nextSyncAt = nil
            return .persist(schedule)
        case .settingsChanged(let settings, let now):
            // A shorter interval takes effect at once (the pending sync moves earlier); a longer
            // one from the next sync on.
            let shorter = settings.interval < self.settings.interval
            self.settings = settings
            guard state == .idle, let next = nextSyncAt else { return .none }
            if shorter { nextSyncAt = min(next, now.addingTimeInterval(jitteredInterval(using: &random))) }
            // The adaptive guarantee holds from now on, whatever the old settings planned.
            if case .adaptive(let limits) = settings.mode {
                nextSyncAt = min(
                    nextSyncAt ?? next, now.addingTimeInterval(limits.fitted(to: settings.interval).maxInterval.seconds))
            }
            return .none
        }
    }

    private mutating func wake(now: Date, triggers: [SyncTrigger]) -> Action {
        // A webhook says someone is active on the account: more may follow soon.
        if triggers.contains(.webhook) { rhythm.hint(now: now) }
        var requested = triggers.filter(mayRun)
        if pendingWebhook, mayRun(.webhook) { requested.append(.webhook) }
        let candidates = (isDue(now: now) ? [SyncTrigger.schedule] : []) + requested
        if let trigger = Self.strongest(candidates) {
            if trigger == .webhook, !isDue(now: now), let spaced = lastRunEndedAt?.addingTimeInterval(Self.webhookSpacing),
                now < spaced
            {
                pendingWebhook = true
                return .sleep(until: nextSyncAt.map { min($0, spaced) } ?? spaced)
            }
            return .sync(trigger)
        }
        switch state {
        case .idle, .backoff: return .sleep(until: nextSyncAt)
        case .needsReauth, .quarantined, .paused, .syncing: return .sleep(until: nil)
        }
    }

    private mutating func runStarted(token: TokenPolicy.Decision) -> Action {
        pendingWebhook = false
        if state == .quarantined { lastError = nil }
        state = .syncing
        run = Run()
        // A pair refreshed in an earlier run that could not be saved: the old refresh token is
        // already dead, so this one is written before anything else.
        guard !hasUnsavedTokens else {
            run?.afterSave = token
            return .saveTokens
        }
        return proceed(token)
    }

    /// The run's next step for the token policy's verdict.
    private mutating func proceed(_ token: TokenPolicy.Decision) -> Action {
        switch token {
        case .dead(let reason): return .fail(.authDead(reason))
        case .refresh:
            run?.refreshing = true
            return .refreshToken
        case .use: return .fetch
        }
    }

    private mutating func tokenRefreshed() -> Action {
        guard var run else { return .none }
        run.refreshing = false
        if run.tokenReplacedDuringRefresh {
            // An operator set a new token while we were refreshing: theirs wins.
            run.tokenReplacedDuringRefresh = false
            self.run = run
            return .discardRefreshedTokens
        }
        run.refreshed = true
        // The new pair is used (fetched with) only once it is in the store.
        run.afterSave = .use
        self.run = run
        hasUnsavedTokens = true
        return .saveTokens
    }

    private mutating func runFinished(
        _ outcome: RunOutcome, now: Date, observation: SyncObservation, prices: SchedulePrices?,
        random: inout some RandomNumberGenerator
    ) -> Action {
        let replaced = run?.tokenReplaced ?? false
        run = nil
        lastRunEndedAt = now
        switch outcome {
        case .succeeded, .partial:
            consecutiveFailures = 0
            lastError = nil
            state = autoSync ? .idle : .paused
            rhythm.observe(observation, now: now)
            nextSyncAt = autoSync ? now.addingTimeInterval(plan(now: now, prices: prices, random: &random)) : nil
        case .failed(let message, let retryAfter):
            backOff(message, retryAfter: retryAfter, now: now, random: &random)
        case .crashed(let message):
            backOff(message, retryAfter: nil, now: now, random: &random)
        case .authDead(let message):
            consecutiveFailures += 1
            lastError = message
            state = .needsReauth
            nextSyncAt = nil
        }
        // An operator set a new token during the run: the run's verdict was about the old one.
        if replaced { return tokenReplaced(now: now) }
        return .persist(schedule)
    }

    private mutating func backOff(
        _ message: String, retryAfter: Duration?, now: Date, random: inout some RandomNumberGenerator
    ) {
        consecutiveFailures += 1
        lastError = message
        var wait = settings.backoff.delay(failures: consecutiveFailures, using: &random).seconds
        if let retryAfter { wait = max(wait, retryAfter.seconds) }
        state = autoSync ? .backoff : .paused
        nextSyncAt = autoSync ? now.addingTimeInterval(wait) : nil
    }

    private mutating func tokenReplaced(now: Date) -> Action {
        // The operator's token is in the store already; whatever we refreshed is not needed.
        hasUnsavedTokens = false
        if var run {
            run.tokenReplaced = true
            if run.refreshing { run.tokenReplacedDuringRefresh = true }
            self.run = run
            return .none
        }
        consecutiveFailures = 0
        lastError = nil
        state = autoSync ? .idle : .paused
        nextSyncAt = autoSync ? now : nil
        return .persist(schedule)
    }

    private mutating func autoSyncChanged(_ enabled: Bool, now: Date) -> Action {
        autoSync = enabled
        switch state {
        case .needsReauth, .syncing: return .persist(schedule)
        case .quarantined:
            // Toggling is an operator's way to give a parked account another chance.
            lastError = nil
        case .idle, .backoff, .paused: break
        }
        state = enabled ? .idle : .paused
        nextSyncAt = enabled ? now : nil
        return .persist(schedule)
    }

    /// The schedule's next interval after a successful run at `now` (backoff, not this, follows
    /// a failure): `interval` ± jitter, or the adaptive planner's choice at these prices (an
    /// account planned alone when the daemon has none).
    private mutating func plan(now: Date, prices: SchedulePrices?, random: inout some RandomNumberGenerator) -> TimeInterval {
        switch settings.mode {
        case .fixed:
            plannedInterval = settings.interval.seconds
            return jitteredInterval(using: &random)
        case .adaptive(let limits):
            let prices = prices ?? .standalone(interval: settings.interval, limits: limits)
            let interval = AdaptivePlanner.interval(
                rhythm: rhythm, now: now, prices: prices, jitter: settings.jitter, random: &random)
            plannedInterval = interval.rounded()
            return interval
        }
    }

    /// The interval ± jitter.
    func jitteredInterval(using random: inout some RandomNumberGenerator) -> TimeInterval {
        let base = settings.interval.seconds
        guard settings.jitter > 0 else { return base }
        return base * (1 + Double.random(in: -settings.jitter...settings.jitter, using: &random))
    }
}
