import Foundation
import Logging

/// One account's worker: it owns the account's token, schedule and backoff, runs its syncs one at
/// a time (so at most one token refresh is ever in flight for it), and reports each run to the
/// recorder. Decisions come from `AccountStateMachine`; this actor carries them out.
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
    let logger: Logger
    /// The last run's status, for `status`.
    var lastStatus: SyncStatus?
    /// When each recent post last got Instagram insights (in memory: at worst a restart reads
    /// them once more).
    var insightsFetchedAt: [String: Date] = [:]
    /// Bumped when an operator sets a token, so that a refresh racing it does not win.
    var tokenGeneration = 0
    /// A refreshed token pair that could not be written yet (kept rather than lost).
    var unsavedTokens = false
    /// Whether the run in progress refreshed the token (for its SyncLog entry).
    var refreshedInRun = false

    /// Creates the worker of one account.
    /// - Parameters:
    ///   - record: The persisted account.
    ///   - settings: Schedule settings.
    ///   - runSettings: Per-run settings.
    ///   - environment: Shared daemon parts.
    ///   - mailbox: The account's mailbox (kept by the supervisor across restarts).
    ///   - lastStatus: The last known SyncLog status.
    ///   - seed: Seed of the account's jitter generator.
    public init(
        record: AccountRecord, settings: AccountStateMachine.Settings, runSettings: SyncEnvironment.RunSettings,
        environment: SyncEnvironment, mailbox: Mailbox<AccountEvent> = Mailbox(), lastStatus: SyncStatus? = nil,
        seed: UInt64
    ) {
        id = record.id
        self.record = record
        self.mailbox = mailbox
        self.runSettings = runSettings
        self.environment = environment
        self.lastStatus = lastStatus
        random = SplitMix64(seed: seed)
        machine = AccountStateMachine(settings: settings, record: record, now: environment.clock.now)
        var logger = environment.logger
        logger[metadataKey: "account.id"] = "\(record.id)"
        self.logger = logger
        self.record.state = machine.state
        self.record.nextSyncAt = machine.nextSyncAt
    }

    /// The run loop: sleeps until the schedule or an event says to sync, runs, repeats; returns
    /// on `.stop` or cancellation. Throws only what is not a sync outcome (a store failure):
    /// the supervisor restarts the worker then.
    public func run() async throws {
        while !Task.isCancelled {
            let wake = machine.wake(now: environment.clock.now)
            let events: [AccountEvent]
            switch wake {
            case .syncNow: events = mailbox.drain()
            case .sleep(let until): events = await mailbox.receive(until: until, clock: environment.clock)
            case .waitForEvent: events = await mailbox.receive(until: nil, clock: environment.clock)
            }
            var trigger: SyncTrigger? = machine.wake(now: environment.clock.now) == .syncNow ? .schedule : nil
            var waiters: [Promise<SyncLogEntry?>] = []
            var stop = Task.isCancelled
            for event in events {
                switch event {
                case .trigger(let requested, let waiter):
                    trigger = Self.stronger(trigger, requested)
                    if let waiter { waiters.append(waiter) }
                case .wake: break
                case .stop: stop = true
                }
            }
            guard !stop else {
                for waiter in waiters { waiter.fulfill(nil) }
                return
            }
            guard let trigger, machine.mayRun(trigger) else {
                for waiter in waiters { waiter.fulfill(nil) }
                continue
            }
            let entry = try await runSync(trigger: trigger)
            for waiter in waiters { waiter.fulfill(entry) }
        }
    }

    /// An operator's trigger beats a webhook's, which beats the schedule (the entry carries one).
    static func stronger(_ a: SyncTrigger?, _ b: SyncTrigger) -> SyncTrigger {
        let rank: [SyncTrigger: Int] = [.schedule: 0, .webhook: 1, .cron: 2, .manual: 3]
        guard let a else { return b }
        return rank[a, default: 0] >= rank[b, default: 0] ? a : b
    }

    /// Runs one sync now if the account may run for `trigger` (used by `serve --once`).
    /// - Returns: The SyncLog entry, or nil when the run did not happen.
    public func syncOnce(trigger: SyncTrigger) async throws -> SyncLogEntry? {
        guard machine.mayRun(trigger) else { return nil }
        return try await runSync(trigger: trigger)
    }

    /// The account as `status` shows it (no token).
    public func view(posts: Int) -> AccountView {
        AccountView(record: record, state: machine.state, lastStatus: lastStatus, posts: posts)
    }

    /// Whether `POST /v1/sync` and the cron endpoint include this account.
    public var isActive: Bool {
        record.autoSync && machine.state != .needsReauth && machine.state != .quarantined
    }

    /// The current state.
    public var state: AccountState { machine.state }

    // MARK: - Operator commands (persisted at once, then the loop re-reads the schedule)

    /// Turns the schedule on or off.
    public func setAutoSync(_ enabled: Bool) throws -> AccountView {
        try environment.store.setAutoSync(id, enabled: enabled)
        record.autoSync = enabled
        machine.setAutoSync(enabled, now: environment.clock.now)
        try persistSchedule()
        mailbox.post(.wake)
        return view(posts: 0)
    }

    /// Replaces the tokens (an operator re-authorized the account); clears `needs_reauth`.
    public func replaceTokens(
        accessToken: String, refreshToken: String?, expiresAt: Date?, refreshExpiresAt: Date?, issuedAt: Date?
    ) throws {
        let now = environment.clock.now
        try environment.store.saveTokens(
            id, accessToken: accessToken, refreshToken: refreshToken, expiresAt: expiresAt,
            refreshExpiresAt: refreshExpiresAt, refreshedAt: issuedAt ?? now)
        tokenGeneration += 1
        unsavedTokens = false
        record.accessToken = accessToken
        if let refreshToken, !refreshToken.isEmpty { record.refreshToken = refreshToken }
        record.tokenExpiresAt = expiresAt
        if let refreshExpiresAt { record.refreshExpiresAt = refreshExpiresAt }
        record.tokenRefreshedAt = issuedAt ?? now
        machine.tokenReplaced(now: now)
        try persistSchedule()
        mailbox.post(.wake)
    }

    /// The platform revoked the authorization: no calls until a new token.
    public func authorizationRemoved(_ message: String) throws {
        machine.authorizationRemoved(message)
        // The supervisor writes this event's SyncLog entry, with status error.
        lastStatus = .error
        try persistSchedule()
    }

    /// Parks the account after a crash loop.
    public func quarantine(_ message: String) throws {
        machine.quarantine(message)
        lastStatus = .error
        try persistSchedule()
    }

    /// Applies reloaded settings.
    public func reconfigure(_ settings: AccountStateMachine.Settings, runSettings: SyncEnvironment.RunSettings) {
        machine.apply(settings, now: environment.clock.now, random: &random)
        self.runSettings = runSettings
        record.nextSyncAt = machine.nextSyncAt
        mailbox.post(.wake)
    }

    /// Writes the machine's schedule to the record and the store.
    func persistSchedule() throws {
        record.state = machine.state == .syncing ? .idle : machine.state
        record.nextSyncAt = machine.nextSyncAt
        record.consecutiveFailures = machine.consecutiveFailures
        record.lastError = machine.lastError
        try environment.store.saveSchedule(
            id, state: record.state, nextSyncAt: record.nextSyncAt,
            consecutiveFailures: record.consecutiveFailures, lastError: record.lastError)
    }
}
