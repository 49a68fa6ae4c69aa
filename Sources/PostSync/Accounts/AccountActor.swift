import Foundation
import Logging

/// One account's worker: it owns the account's record (token included), schedule and backoff,
/// runs its syncs one at a time (so at most one token refresh is ever in flight for it), and
/// reports each run to the recorder. Every decision comes from `AccountStateMachine`; this actor
/// only carries out the actions it returns.
public actor AccountActor {
    /// The account.
    public nonisolated let id: AccountID
    /// Where triggers and commands arrive; shared across restarts of this account's worker.
    public nonisolated let mailbox: Mailbox<AccountEvent>

    var record: AccountRecord
    var machine: AccountStateMachine
    var runSettings: SyncEnvironment.RunSettings
    let environment: SyncEnvironment
    var random: SplitMix64
    /// The daemon's logger with this account's id. Made when something is logged, not kept:
    /// a kept copy held its own metadata dictionary and id string, a few hundred bytes per idle
    /// account.
    var logger: Logger {
        var logger = environment.logger
        logger[metadataKey: "account.id"] = "\(id)"
        return logger
    }
    /// When each recent post last got Instagram insights (in memory: at worst a restart reads
    /// them once more).
    var insightsFetchedAt = PostTimes()
    /// The account's stored posts inside the lookback window (id → publication time), read from
    /// the store once and then kept up to date from each run's posts, so that a steady-state run
    /// does not ask the database for them again (this worker is the only writer of its posts).
    var recentPosts: PostTimes?
    /// The timer's wake-up of a parked worker.
    private var parkedWake: WakeTimer.Registration?
    /// Whether this account last told the schedule board it is active.
    private var publishedActive: Bool?
    /// The lease this worker runs under (several daemons, CONTRACT section 10); nil with one.
    /// Fixed for the worker's life: a worker never writes under a newer claim than its own.
    public nonisolated let fence: LeaseFence?
    /// The stored pair that a refreshed pair not yet saved replaces (the compare-and-swap's
    /// expected value).
    var replacing: TokenPair?
    /// Waiters of webhook triggers whose run waits out the spacing; answered by the next run
    /// (or with nil when the worker stops first).
    private var waitersOfDeferredRun: [Promise<SyncLogEntry?>] = []

    /// Creates the worker of one account.
    /// - Parameters:
    ///   - record: The persisted account.
    ///   - settings: Schedule settings.
    ///   - runSettings: Per-run settings.
    ///   - environment: Shared daemon parts.
    ///   - mailbox: The account's mailbox (kept by the supervisor across restarts).
    ///   - seed: Seed of the account's jitter generator.
    ///   - fence: The lease it runs under, with several daemons.
    public init(
        record: AccountRecord, settings: AccountStateMachine.Settings, runSettings: SyncEnvironment.RunSettings,
        environment: SyncEnvironment, mailbox: Mailbox<AccountEvent> = Mailbox(), seed: UInt64, fence: LeaseFence? = nil
    ) {
        self.fence = fence
        id = record.id
        self.record = record
        self.mailbox = mailbox
        self.runSettings = runSettings
        self.environment = environment
        random = SplitMix64(seed: seed)
        machine = AccountStateMachine(settings: settings, record: record, now: environment.clock.now)
        self.record.state = machine.state
        self.record.nextSyncAt = machine.nextSyncAt
        // The machine owns the rhythm from here on (`currentRecord` puts it back): a second
        // copy of its 168 hourly counts in the record cost 0.7 KB per account.
        self.record.rhythm = nil
        if let board = environment.schedule, case .adaptive = settings.mode {
            publishedActive = machine.isActive
            board.update(id, rhythm: machine.isActive ? machine.rhythm : nil, now: environment.clock.now)
        }
    }

    /// How `run` returned.
    public enum RunExit: Sendable, Equatable {
        /// `.stop` or cancellation: the worker is done.
        case stopped
        /// Idle: the mailbox is parked and the next scheduled wake-up is on the timer; the next
        /// event calls the resume closure given to `run`, and the worker goes on with `run`.
        case parked
    }

    /// The run loop: sleeps until the schedule or an event says to sync, runs, repeats; returns
    /// on `.stop` or cancellation. Throws only what is not a sync outcome (a store failure, a
    /// crash): the supervisor restarts the worker then.
    public func run() async throws {
        _ = try await run(parkingWith: nil)
    }

    /// The run loop, returning instead of waiting when it has nothing to do and `resume` is
    /// given: the mailbox is parked with `resume` and the next wake-up put on the shared timer,
    /// so an idle account holds no task (a suspended task keeps the slabs of its frames, several
    /// KB). Not while a refreshed token waits to be saved: that worker stays to save it.
    /// - Returns: `.parked` when it parked, `.stopped` on `.stop` or cancellation.
    public func run(parkingWith resume: (@Sendable () -> Void)?) async throws -> RunExit {
        // Woken by an event before the timer came: its wake-up is not needed any more.
        if let pending = parkedWake.take() { environment.wakeTimer.cancel(pending) }
        while !Task.isCancelled {
            let events: [AccountEvent]
            switch handle(.wake(now: environment.clock.now, triggers: [])) {
            case .sleep(let until):
                if let resume, replacing == nil {
                    if park(until: until, resume: resume) { return .parked }
                    events = mailbox.drain()
                } else {
                    events = await mailbox.receive(until: until, timer: environment.wakeTimer, timeout: .wake)
                }
            default: events = mailbox.drain()
            }
            if try await inChildTask({ try await self.act(on: events) }) { return .stopped }
        }
        return .stopped
    }

    /// At the daemon's start: parks the new worker at once unless a run is due, so that starting
    /// costs no task for the accounts with nothing to do (a task each, all at once, left the
    /// allocator with a high-water mark that steady state never came back from).
    /// - Returns: Whether it parked; if not, give it a task (`run(parkingWith:)`).
    public func parkUnlessDue(resume: @escaping @Sendable () -> Void) -> Bool {
        guard replacing == nil, case .sleep(let until) = handle(.wake(now: environment.clock.now, triggers: [])) else {
            return false
        }
        return park(until: until, resume: resume)
    }

    /// Puts the wake-up at `until` on the shared timer and parks the mailbox with `resume`.
    /// - Returns: false (nothing parked, no wake-up left) when events are pending.
    private func park(until: Date?, resume: @escaping @Sendable () -> Void) -> Bool {
        let mailbox = self.mailbox
        parkedWake = until.map { environment.wakeTimer.schedule(at: $0) { mailbox.post(.wake) } }
        if mailbox.park(resume: resume) { return true }
        if let pending = parkedWake.take() { environment.wakeTimer.cancel(pending) }
        return false
    }

    /// Takes the events that woke the worker: runs a sync when one is due or asked for, answers
    /// the triggers' waiters. Returns whether the worker should leave.
    private func act(on events: [AccountEvent]) async throws -> Bool {
        var triggers: [SyncTrigger] = []
        var waiters: [Promise<SyncLogEntry?>] = []
        var stop = Task.isCancelled
        for event in events {
            switch event {
            case .trigger(let requested, let waiter):
                triggers.append(requested)
                if let waiter { waiters.append(waiter) }
            case .wake: break
            case .stop: stop = true
            }
        }
        var entry: SyncLogEntry?
        var deferred = false
        // However the run ends (a lost lease throws), every waiter gets an answer: the run's, or
        // that of the run a webhook's spacing put off (`AccountStateMachine.webhookSpacing`).
        defer {
            if deferred {
                waitersOfDeferredRun.append(contentsOf: waiters)
            } else {
                let earlier = waitersOfDeferredRun
                waitersOfDeferredRun = []
                for waiter in earlier + waiters { waiter.fulfill(entry) }
            }
        }
        guard !stop else { return true }
        switch handle(.wake(now: environment.clock.now, triggers: triggers)) {
        case .sync(let trigger):
            entry = try await runSync(trigger: trigger)
            // No entry: the daemon-wide run slots are closed, so the daemon is stopping. Leave
            // now rather than wake again for a run that cannot start (a busy loop until the
            // supervisor's `.stop` arrives).
            if entry == nil { stop = true }
        default:
            deferred = machine.pendingWebhook
        }
        return stop
    }

    /// Runs `body` in a child task. A task's allocator keeps every slab it once needed until the
    /// task ends: a sync run's deep call chain (HTTP, JSON, SQLite) left about 20 KB of slabs on
    /// the account's long-lived task, held while it idled. In a child task they are freed when
    /// the run ends, and the long-lived task only ever waits on its mailbox.
    private func inChildTask<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask(operation: body)
            guard let result = try await group.next() else { throw CancellationError() }
            return result
        }
    }

    /// Runs one sync now if the account may run for `trigger` (`serve --once`).
    /// - Returns: The SyncLog entry, or nil when the run did not happen.
    public func syncOnce(trigger: SyncTrigger) async throws -> SyncLogEntry? {
        guard machine.mayRun(trigger) else { return nil }
        return try await runSync(trigger: trigger)
    }

    /// The account as `status` shows it (no token).
    public func view(posts: Int, lastStatus: SyncStatus?) -> AccountView {
        var view = AccountView(record: record, state: machine.state, lastStatus: lastStatus, posts: posts)
        view.syncInterval = machine.isActive ? Int(machine.plannedInterval.rounded()) : nil
        view.postsPerDay = machine.rhythm.postsPerDay
        return view
    }

    /// The account's record as this worker holds it.
    var currentRecord: AccountRecord {
        var current = record
        current.rhythm = machine.rhythm.isPrior ? nil : machine.rhythm
        return current
    }

    /// Whether `POST /v1/sync` and the cron endpoint include this account.
    public var isActive: Bool { machine.isActive }

    /// The current state.
    public var state: AccountState { machine.state }

    /// When the next scheduled run is due, and whether a run is in flight (the lease planner
    /// gives up idle accounts due last).
    public var leaseCandidate: LeasePlanner.Held {
        LeasePlanner.Held(id: id, nextSyncAt: machine.nextSyncAt, busy: machine.state == .syncing)
    }

    // MARK: - Operator commands (persisted at once, then the loop re-reads the schedule)

    /// Turns the schedule on or off.
    public func setAutoSync(_ enabled: Bool) async throws {
        try await environment.store.setAutoSync(id, enabled: enabled)
        record.autoSync = enabled
        try await execute(handle(.autoSyncChanged(enabled, now: environment.clock.now)))
        mailbox.post(.wake)
    }

    /// Replaces the tokens (an operator re-authorized the account); clears `needs_reauth`. The
    /// new token is saved before anything else, and wins over a refresh in flight.
    public func replaceTokens(_ tokens: TokenUpdate) async throws {
        try await environment.store.saveTokens(id, tokens)
        record.accessToken = tokens.accessToken
        if let refreshToken = tokens.refreshToken, !refreshToken.isEmpty { record.refreshToken = refreshToken }
        record.tokenExpiresAt = tokens.expiresAt
        if let refreshExpiresAt = tokens.refreshExpiresAt { record.refreshExpiresAt = refreshExpiresAt }
        record.tokenRefreshedAt = tokens.refreshedAt
        try await execute(handle(.tokenReplaced(now: environment.clock.now)))
        mailbox.post(.wake)
    }

    /// Another daemon stored a pair for this account that this worker has not seen (it refreshed
    /// just before it lost the lease): takes the pair as stored and clears `needs_reauth` as an
    /// operator's token does. Nothing is written but the schedule: writing the pair back could
    /// overwrite one rotated since it was read.
    public func adoptStoredTokens(of stored: AccountRecord) async throws {
        adoptTokens(of: stored)
        try await execute(handle(.tokenReplaced(now: environment.clock.now)))
        mailbox.post(.wake)
    }

    /// The platform revoked the authorization: no calls until a new token.
    public func authorizationRemoved(_ message: String) async throws {
        try await execute(handle(.authorizationRemoved(message)))
    }

    /// Parks the account after a crash loop.
    public func quarantine(_ message: String) async throws {
        try await execute(handle(.quarantined(message)))
    }

    /// Applies reloaded settings.
    public func reconfigure(_ settings: AccountStateMachine.Settings, runSettings: SyncEnvironment.RunSettings) {
        _ = handle(.settingsChanged(settings, now: environment.clock.now))
        self.runSettings = runSettings
        mailbox.post(.wake)
    }

    /// Feeds the machine and keeps the record's schedule fields in step with it.
    func handle(_ event: AccountStateMachine.Event) -> AccountStateMachine.Action {
        let action = machine.handle(event, random: &random)
        record.state = machine.state
        record.nextSyncAt = machine.nextSyncAt
        record.consecutiveFailures = machine.consecutiveFailures
        record.lastError = machine.lastError
        switch event {
        case .wake, .runStarted, .accessTokenRejected, .tokenRefreshed, .tokenSaved, .tokenSaveFailed: break
        case .runFinished, .tokenReplaced, .autoSyncChanged, .authorizationRemoved, .quarantined, .settingsChanged:
            publishRhythm()
        }
        return action
    }

    /// Tells the adaptive schedule's board what changed: an active account's rhythm counts in
    /// the budget (the board skips the work when nothing new was learned), an inactive one
    /// (paused, dead auth, quarantined) does not.
    private func publishRhythm() {
        guard let board = environment.schedule, case .adaptive = machine.settings.mode else { return }
        let active = machine.isActive
        if !active, publishedActive == false { return }
        publishedActive = active
        board.update(id, rhythm: active ? machine.rhythm : nil, now: environment.clock.now)
    }

    /// Carries out the actions that need no run context (persisting a schedule). During a
    /// database outage the schedule stays in memory (the next run persists it again) rather than
    /// fail the worker: an outage must not crash-loop every account into quarantine.
    func execute(_ action: AccountStateMachine.Action) async throws {
        guard case .persist(let schedule) = action else { return }
        do {
            try await environment.store.saveSchedule(id, schedule, fence: fence)
        } catch StoreError.unavailable(let why) {
            logger.warning("schedule not persisted: database unavailable", metadata: ["error": "\(why)"])
        }
    }
}
