import Foundation
import Logging
import ServiceLifecycle

/// Runs one `AccountActor` per account, restarts a worker that throws, and quarantines one that
/// crash-loops. One account's failure never delays another's: each has its own task while it has
/// work (an idle worker parks without one, see `supervise`), and only `sync.max_concurrent` is
/// shared. `serve` and `serve --once` go through the same supervision path (`supervise`); the
/// SyncLog is written by the `SyncLogRecorder`.
public actor Supervisor: Service {
    /// The settings the supervisor hands its workers.
    public struct Settings: Sendable, Equatable {
        /// Schedule settings.
        public var schedule: AccountStateMachine.Settings
        /// Per-run settings.
        public var run: SyncEnvironment.RunSettings
        /// `sync.restart.max`.
        public var restartMax: Int
        /// `sync.restart.within`.
        public var restartWithin: Duration
        /// `tiktok.requests_per_minute`, the limit the adaptive schedule plans TikTok's calls under.
        public var tiktokRequestsPerMinute: Int

        /// Creates settings.
        public init(
            schedule: AccountStateMachine.Settings, run: SyncEnvironment.RunSettings, restartMax: Int,
            restartWithin: Duration, tiktokRequestsPerMinute: Int = 600
        ) {
            self.tiktokRequestsPerMinute = tiktokRequestsPerMinute
            self.schedule = schedule
            self.run = run
            self.restartMax = restartMax
            self.restartWithin = restartWithin
        }
    }

    enum Command: Sendable {
        /// Start the account's worker (under a lease, with several daemons). Indirect: a record
        /// inline made every command (every `.resume`) the size of one.
        indirect case add(AccountRecord, LeaseFence?)
        /// Give the parked worker of this account a task again (an event arrived for it).
        case resume(AccountID)
        case shutdown
    }

    /// One account's live slot: its mailbox (kept across restarts) and current worker (kept
    /// while it is parked).
    struct Slot: Sendable {
        var mailbox: Mailbox<AccountEvent>
        var actor: AccountActor?
        /// Fulfilled when the account's child task has ended; made when someone waits for that
        /// (`markForStop`), not for every account.
        var stopped: Promise<Void>?
    }

    /// The supervised accounts.
    struct Accounts: Sendable {
        var slots: [AccountID: Slot] = [:]
        var policies: [AccountID: RestartPolicy] = [:]
        /// Accounts being removed: never restarted.
        var removed: Set<AccountID> = []
    }

    /// The supervisor's whole mutable state, in one place (as swift-service-lifecycle's
    /// `ServiceGroup` keeps it).
    private enum State {
        /// Not running: commands act on the store only.
        case initial
        /// Supervising (`serve`, or one `serve --once` pass).
        case running(Accounts)
        /// Shutdown began: workers finish their run in flight and leave.
        case stopping(Accounts)
        /// `run()` returned.
        case finished
        /// A placeholder while `accounts` is being modified in place (keeps it uniquely owned).
        case modifying
    }

    nonisolated let store: any Store
    let recorder: SyncLogRecorder
    /// The post counts of the last `accountViews()` that could read them (shown during an outage).
    var lastPostCounts: [String: Int] = [:]
    let clients: [Platform: any PlatformClient]
    let clock: any DaemonClock
    let logger: Logger
    let seed: UInt64
    var settings: Settings
    private var state: State = .initial
    /// Daemon-wide cap of runs in flight.
    nonisolated let limiter: AsyncSemaphore
    /// `sync.max_concurrent`.
    let maxConcurrent: Int
    nonisolated let commands = Mailbox<Command>()
    /// Fired when shutdown begins (restart delays end early then).
    nonisolated let shutdown = ShutdownSignal()
    /// When the supervisor's executor last ran `ping()`: readable while the executor is stuck,
    /// which is the point (health checks and the watchdog must not hang with it).
    nonisolated let heartbeat: Heartbeat
    /// Called with each scheduled run's lateness in seconds (metrics).
    let onLateness: (@Sendable (TimeInterval) -> Void)?
    /// The adaptive schedule's daemon-wide budget, fed by the workers.
    public nonisolated let schedule: ScheduleBoard
    /// The other daemons (PostgreSQL, CONTRACT section 10): with it, workers run only for the
    /// accounts this daemon holds a lease on, and commands for the others are sent to them.
    public nonisolated let cluster: ClusterLink?
    /// Every worker's next scheduled wake-up, on one timer.
    nonisolated let wakeTimer: WakeTimer
    /// Where workers' tasks prefer to run; nil: the global pool.
    nonisolated let runExecutor: (any TaskExecutor)?
    /// The environment every worker shares.
    nonisolated let environment: SyncEnvironment

    /// Creates a supervisor.
    /// - Parameters:
    ///   - store: The store.
    ///   - recorder: Where every SyncLog entry goes.
    ///   - clients: One client per platform.
    ///   - settings: Worker settings.
    ///   - maxConcurrent: `sync.max_concurrent`.
    ///   - clock: The time source.
    ///   - seed: Seeds the per-account jitter generators.
    ///   - logger: Root logger.
    ///   - onLateness: Called with each scheduled run's lateness (metrics).
    ///   - cluster: The link to the other daemons, with PostgreSQL.
    ///   - runExecutor: Where workers' tasks prefer to run (the platforms' HTTP event loop, see
    ///     `EventLoopTaskExecutor`); nil: the global pool.
    ///   - wakeCoalescing: The least time between two batches of scheduled wake-ups (`WakeTimer`).
    public init(
        store: any Store, recorder: SyncLogRecorder, clients: [Platform: any PlatformClient], settings: Settings,
        maxConcurrent: Int, clock: any DaemonClock, seed: UInt64, logger: Logger,
        onLateness: (@Sendable (TimeInterval) -> Void)? = nil, cluster: ClusterLink? = nil,
        runExecutor: (any TaskExecutor)? = nil, wakeCoalescing: Duration = .zero
    ) {
        self.runExecutor = runExecutor
        self.cluster = cluster
        self.onLateness = onLateness
        self.store = store
        self.recorder = recorder
        self.clients = clients
        self.settings = settings
        self.clock = clock
        self.seed = seed
        self.logger = logger
        limiter = AsyncSemaphore(permits: maxConcurrent)
        self.maxConcurrent = maxConcurrent
        heartbeat = Heartbeat(now: clock.now)
        wakeTimer = WakeTimer(clock: clock, coalescing: wakeCoalescing)
        schedule = ScheduleBoard(plan: settings.schedulePlan)
        environment = SyncEnvironment(
            store: store, clients: clients, clock: clock, limiter: limiter, recorder: recorder, logger: logger,
            observeLateness: onLateness, schedule: schedule, cluster: cluster, wakeTimer: wakeTimer)
    }

    /// Runs every account until graceful shutdown (SIGTERM) or cancellation; in-flight runs
    /// finish (each bounded by `sync.deadline`), then the SyncLog is flushed.
    public func run() async throws {
        guard case .initial = state else { throw SupervisorBusy() }
        // Emptied once the workers are made: this function lives as long as the daemon, and its
        // frame kept every record read at start, each with the posting rhythm it was read with
        // (0.6 KB an account, measured with heaptrack at 2,000 accounts).
        var records = try await recordsAtStart()
        state = .running(Accounts())
        await withGracefulShutdownHandler {
            // Discarding: a worker gets a new task each time it wakes from parking, and a plain
            // task group keeps every finished child until `next()` takes it (memory grew by the
            // run).
            await withDiscardingTaskGroup { group in
                var stopping = await startWorkers(records, in: &group)
                records = []
                while !stopping {
                    stopping = handle(await commands.receive(until: nil, clock: clock), in: &group)
                    if Task.isCancelled { beginShutdown() }
                    stopping = stopping || shutdown.isFired
                }
                stopWorkers()
                // The group returns once every worker's task has ended.
            }
            // Parked workers have no task to end: their accounts are stopped now as well.
            for slot in slots.values { slot.stopped?.fulfill(()) }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        state = .finished
        await recorder.close()
        logger.info("supervisor stopped")
    }

    /// Workers made at start between two looks at the commands.
    static let startChunk = 256

    /// The accounts whose workers `run` makes at start, their last statuses restored. With
    /// several daemons none: the coordinator hands over the accounts it claims.
    private func recordsAtStart() async throws -> [AccountRecord] {
        let all = try await store.accounts()
        await recorder.restoreStatuses(from: all)
        return cluster == nil ? all : []
    }

    /// Makes the workers of the accounts read at start, those due first first (making 100,000
    /// takes seconds, and one due meanwhile waits until its worker exists).
    /// - Returns: Whether shutdown was asked for meanwhile.
    @inline(never)  // its locals (the order of every account) must not stay in `run`'s frame
    private func startWorkers(_ records: [AccountRecord], in group: inout DiscardingTaskGroup) async -> Bool {
        var stopping = shutdown.isFired
        let order = records.indices.sorted {
            (records[$0].nextSyncAt ?? .distantPast) < (records[$1].nextSyncAt ?? .distantPast)
        }
        for (index, position) in order.enumerated() where !stopping {
            let record = records[position]
            // Wake-ups that fall due while the workers are being made are taken between chunks,
            // not after the last one (they were late by the whole start-up, in a burst).
            if index % Self.startChunk == Self.startChunk - 1 {
                stopping = handle(commands.drain(), in: &group)
            }
            guard let mailbox = register(record.id) else { continue }
            // Workers with nothing due park at once: no task each at start.
            let worker = makeWorker(record, mailbox: mailbox, fence: nil)
            if await worker.parkUnlessDue(resume: resumeHook(record.id)) { continue }
            group.addTask(executorPreference: runExecutor) {
                await self.supervise(resuming: worker, mailbox: mailbox, fence: nil)
            }
        }
        return stopping
    }

    /// Carries out the supervisor's commands in `run`.
    /// - Returns: Whether shutdown was asked for (the commands after it are not carried out).
    private func handle(_ commands: [Command], in group: inout DiscardingTaskGroup) -> Bool {
        for command in commands {
            switch command {
            case .add(let record, let fence):
                // An account added while the supervisor was starting is already running.
                guard let mailbox = register(record.id) else { continue }
                group.addTask(executorPreference: runExecutor) {
                    _ = await self.supervise(record, mailbox: mailbox, once: nil, fence: fence)
                }
            case .resume(let id):
                guard let slot = slots[id], let worker = slot.actor else { continue }
                group.addTask(executorPreference: runExecutor) {
                    _ = await self.supervise(resuming: worker, mailbox: slot.mailbox, fence: worker.fence)
                }
            case .shutdown:
                return true
            }
        }
        return false
    }

    /// `serve --once`: syncs every active account once through the same supervision path as
    /// `serve` (a crash is reported, not restarted), without starting the schedule loops.
    /// - Returns: The summary; `failed == 0` means every run succeeded (or was partial).
    /// - Parameter claimed: With several daemons, the accounts claimed for this pass and their
    ///   fences (nil: every account of the store, unfenced).
    public func syncOnce(_ trigger: SyncTrigger = .schedule, claimed: [(AccountRecord, LeaseFence)]? = nil) async throws
        -> SyncAllSummary
    {
        guard case .initial = state else { throw SupervisorBusy() }
        let now = clock.now
        let candidates: [(AccountRecord, LeaseFence?)] =
            if let claimed { claimed.map { ($0.0, $0.1) } } else { try await store.accounts().map { ($0, nil) } }
        let records = candidates.filter {
            AccountStateMachine(settings: settings.schedule, record: $0.0, now: now).isActive
        }
        state = .running(Accounts())
        defer { state = .initial }
        // A few more tasks than run slots, not one per account at once: each waiting task holds its
        // frames (100,000 of them took 2 GB), and only `sync.max_concurrent` can run anyway.
        let window = max(16, 2 * maxConcurrent)
        return await withTaskGroup(of: OnceOutcome.self) { group in
            var pending = records.makeIterator()
            func startNext() {
                while let (record, fence) = pending.next() {
                    guard let mailbox = register(record.id) else { continue }
                    // No executor preference: a pass of every account at once keeps both cores
                    // busy, and one event loop would serialize it (measured: cold sync 35 → 52 s).
                    group.addTask { await self.supervise(record, mailbox: mailbox, once: trigger, fence: fence) }
                    return
                }
            }
            for _ in 0..<window { startNext() }
            var summary = SyncAllSummary(total: records.count)
            for await outcome in group {
                summary.add(outcome.id, entry: outcome.entry, crash: outcome.crash)
                startNext()
            }
            summary.errors.sort { $0.accountId < $1.accountId }
            return summary
        }
    }

    /// Stops scheduling: runs that have not started do not start, workers leave after their
    /// current run. Safe to call from any thread, more than once.
    public nonisolated func beginShutdown() {
        guard !shutdown.isFired else { return }
        shutdown.fire()
        limiter.close()
        // Workers and SyncLog entries waiting out a database outage leave now.
        store.health.stopWaiting()
        commands.post(.shutdown)
    }

    /// Asks every worker to leave after its run in flight.
    private func stopWorkers() {
        guard case .running(let accounts) = state else { return }
        state = .stopping(accounts)
        for slot in accounts.slots.values { slot.mailbox.post(.stop) }
    }

    /// Whether the supervisor supervises and has not begun shutdown.
    var isSupervising: Bool {
        if case .running = state { true } else { false }
    }

    /// Modifies the supervised accounts in place; nil when none are supervised.
    func modifyAccounts<T>(_ body: (inout Accounts) -> T) -> T? {
        switch state {
        case .running(var accounts):
            state = .modifying
            defer { state = .running(accounts) }
            return body(&accounts)
        case .stopping(var accounts):
            state = .modifying
            defer { state = .stopping(accounts) }
            return body(&accounts)
        case .initial, .finished, .modifying:
            return nil
        }
    }

    /// The live slots (empty when not running).
    var slots: [AccountID: Slot] {
        switch state {
        case .running(let accounts), .stopping(let accounts): accounts.slots
        case .initial, .finished, .modifying: [:]
        }
    }

    /// Creates the account's slot; nil when it already has one (it is supervised already) or
    /// the supervisor is stopping.
    private func register(_ id: AccountID) -> Mailbox<AccountEvent>? {
        guard case .running = state else { return nil }
        return modifyAccounts { accounts in
            if accounts.slots[id] != nil { return nil }
            let mailbox = Mailbox<AccountEvent>()
            accounts.slots[id] = Slot(mailbox: mailbox, actor: nil)
            return mailbox
        } ?? nil
    }

    /// Marks the account's worker to stop for good (never restarted) and gives the promise
    /// fulfilled once its task has ended; nil when it has no worker here.
    func markForStop(_ id: AccountID) -> (mailbox: Mailbox<AccountEvent>, stopped: Promise<Void>)? {
        modifyAccounts { accounts -> (mailbox: Mailbox<AccountEvent>, stopped: Promise<Void>)? in
            // Only a live worker is marked: a mark without one would stop a later worker at once.
            guard var slot = accounts.slots[id] else { return nil }
            accounts.removed.insert(id)
            let stopped = slot.stopped ?? Promise<Void>()
            slot.stopped = stopped
            accounts.slots[id] = slot
            return (slot.mailbox, stopped)
        } ?? nil
    }

    /// Whether the account is being removed (its worker must not be restarted).
    private func isRemoved(_ id: AccountID) -> Bool {
        modifyAccounts { $0.removed.contains(id) } ?? true
    }

    /// One account's child task: runs its worker (its loop, or one run with `once`), restarts it
    /// after a crash, parks it after a crash loop. Returns when the account is removed, the
    /// daemon stops, or the one run ended.
    ///
    /// An idle worker parks (`AccountActor.run(parkingWith:)`): this task ends, the slot keeps
    /// the worker, and the next event for the account (its timer's wake-up, a trigger, a
    /// command) posts `.resume`, which starts a task for it again. The account's state stays
    /// owned by its one worker throughout; only the task comes and goes.
    private func supervise(
        _ initial: AccountRecord, mailbox: Mailbox<AccountEvent>, once: SyncTrigger?, fence: LeaseFence?
    ) async -> OnceOutcome {
        await supervise(initial.id, start: .new(initial), mailbox: mailbox, once: once, fence: fence)
    }

    /// Goes on with a parked worker (an event arrived for it) as `supervise` does.
    private func supervise(resuming worker: AccountActor, mailbox: Mailbox<AccountEvent>, fence: LeaseFence?) async {
        _ = await supervise(worker.id, start: .resume(worker), mailbox: mailbox, once: nil, fence: fence)
    }

    /// How a supervised task begins: with a new worker, or with the parked one.
    private enum WorkerStart {
        case new(AccountRecord)
        case resume(AccountActor)
    }

    private func supervise(
        _ id: AccountID, start: WorkerStart, mailbox: Mailbox<AccountEvent>, once: SyncTrigger?, fence: LeaseFence?
    ) async -> OnceOutcome {
        var next = start
        // A parked worker's account lives on without a task: its slot stays.
        var parked = false
        defer { if !parked { finishSupervision(id, mailbox: mailbox) } }
        while !shutdown.isFired && !isRemoved(id) {
            let actor =
                switch next {
                case .resume(let parkedWorker): parkedWorker
                case .new(let record): makeWorker(record, mailbox: mailbox, fence: fence)
                }
            let ended = await work(actor, once: once)
            if ended.parked {
                parked = true
                return OnceOutcome(id: id)
            }
            guard let crash = ended.crash else { return ended.outcome }
            guard let reloaded = await recover(actor, crash: crash) else { return OnceOutcome(id: id) }
            next = .new(reloaded)
        }
        return OnceOutcome(id: id)
    }

    /// How a worker's life ended: its outcome, or the crash to recover from; or it parked.
    private struct WorkEnd: Sendable {
        var outcome: OnceOutcome
        var crash: (any Error)?
        var parked = false
    }

    /// What a parked worker's mailbox calls on its next event: a task for it, from `run`.
    private nonisolated func resumeHook(_ id: AccountID) -> @Sendable () -> Void {
        let commands = self.commands
        return { commands.post(.resume(id)) }
    }

    /// Creates the account's worker and makes it the slot's current one.
    @inline(never)
    private func makeWorker(_ record: AccountRecord, mailbox: Mailbox<AccountEvent>, fence: LeaseFence?) -> AccountActor {
        let actor = AccountActor(
            record: record, settings: settings.schedule, runSettings: settings.run, environment: environment,
            mailbox: mailbox, seed: Self.seed(for: record.id, base: seed), fence: fence)
        _ = modifyAccounts { $0.slots[record.id]?.actor = actor }
        return actor
    }

    /// Runs the worker (its loop, or one run with `once`) until it leaves or crashes.
    @inline(never)
    private func work(_ actor: AccountActor, once: SyncTrigger?) async -> WorkEnd {
        let id = actor.id
        do {
            if let once { return WorkEnd(outcome: OnceOutcome(id: id, entry: try await actor.syncOnce(trigger: once))) }
            // Parked: the next event for the account gives the worker a task again.
            if try await actor.run(parkingWith: resumeHook(id)) == .parked {
                return WorkEnd(outcome: OnceOutcome(id: id), parked: true)
            }
            await actor.saveUnsavedTokensBeforeLeaving()
            return WorkEnd(outcome: OnceOutcome(id: id))
        } catch StoreError.leaseLost {
            // Another daemon holds the account now: this worker stops for good, it is no crash.
            logger.warning("lease lost; worker stopped", metadata: ["account.id": "\(id)"])
            await actor.saveUnsavedTokensBeforeLeaving()
            cluster?.book.remove(id)
            return WorkEnd(outcome: OnceOutcome(id: id, crash: "the lease passed to another daemon"))
        } catch {
            if once != nil { return WorkEnd(outcome: OnceOutcome(id: id, crash: "internal error: \(error)")) }
            return WorkEnd(outcome: OnceOutcome(id: id), crash: error)
        }
    }

    /// After a crash: waits the restart delay (or quarantines) and reloads the account.
    /// - Returns: The record to restart with (the worker's, quarantined, when it cannot be
    ///   read); nil when the worker must not be restarted.
    @inline(never)
    private func recover(_ actor: AccountActor, crash: any Error) async -> AccountRecord? {
        let id = actor.id
        guard !shutdown.isFired, !isRemoved(id) else { return nil }
        if await restartAfterCrash(actor, error: crash) { return nil }
        do {
            return try await store.account(id)
        } catch {
            logger.error("account could not be reloaded", metadata: ["account.id": "\(id)", "error": "\(error)"])
            var record = await actor.currentRecord
            record.state = .quarantined
            return record
        }
    }

    /// The account's task ends: its slot goes, queued triggers get their answer (no run).
    @inline(never)
    private func finishSupervision(_ id: AccountID, mailbox: Mailbox<AccountEvent>) {
        let slot = modifyAccounts { accounts in
            accounts.removed.remove(id)
            return accounts.slots.removeValue(forKey: id)
        }
        for case .trigger(_, let waiter?) in mailbox.drain() { waiter.fulfill(nil) }
        slot??.stopped?.fulfill(())
    }

    /// A stable per-account seed, so one account's jitter does not depend on the others.
    static func seed(for id: AccountID, base: UInt64) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.description.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash ^ base
    }
}

extension Supervisor.Settings {
    /// What the adaptive schedule's prices are computed from.
    var schedulePlan: ScheduleBoard.Plan {
        let limits: ScheduleMode.AdaptiveLimits
        if case .adaptive(let adaptive) = schedule.mode { limits = adaptive } else { limits = .init() }
        return ScheduleBoard.Plan(
            interval: schedule.interval, limits: limits, tiktokCallsPerMinute: tiktokRequestsPerMinute)
    }
}

/// `run()` or `syncOnce()` was called while the supervisor already runs.
public struct SupervisorBusy: Error, CustomStringConvertible {
    /// A message.
    public var description: String { "the supervisor is already running" }
}

/// How one supervised account's task ended (`serve --once` counts these).
struct OnceOutcome: Sendable {
    var id: AccountID
    var entry: SyncLogEntry?
    var crash: String?
}
