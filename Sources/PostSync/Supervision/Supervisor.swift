import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs one `AccountActor` per account as child tasks, restarts a worker that throws,
/// quarantines one that crash-loops, and is the one writer of the SyncLog. One account's failure
/// never delays another's: each has its own task, and only `sync.max_concurrent` is shared.
public actor Supervisor: Service, SyncRecorder {
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

        /// Creates settings.
        public init(
            schedule: AccountStateMachine.Settings, run: SyncEnvironment.RunSettings, restartMax: Int,
            restartWithin: Duration
        ) {
            self.schedule = schedule
            self.run = run
            self.restartMax = restartMax
            self.restartWithin = restartWithin
        }
    }

    enum Command: Sendable {
        case add(AccountRecord)
        case wake
    }

    /// One account's live slot: its mailbox (kept across restarts) and current worker.
    struct Slot: Sendable {
        var mailbox: Mailbox<AccountEvent>
        var actor: AccountActor?
        /// Fulfilled when the account's child task has ended.
        var stopped = Promise<Void>()
    }

    let store: Store
    let syncLog: SyncLogWriter
    let clients: [Platform: any PlatformClient]
    let clock: any DaemonClock
    let logger: Logger
    let seed: UInt64
    var settings: Settings
    /// Daemon-wide cap of runs in flight.
    public nonisolated let limiter: AsyncSemaphore
    nonisolated let slots = Mutex<[AccountID: Slot]>([:])
    nonisolated let commands = Mailbox<Command>()
    /// Fired when shutdown begins.
    public nonisolated let shutdown = ShutdownSignal()
    var policies: [AccountID: RestartPolicy] = [:]
    /// Accounts being removed: never restarted.
    var removed: Set<AccountID> = []
    var lastStatuses: [String: SyncStatus] = [:]
    /// Called after every SyncLog write (metrics, sd_notify status).
    let onRecord: (@Sendable (SyncLogEntry) -> Void)?
    /// Called with each scheduled run's lateness in seconds (metrics).
    let onLateness: (@Sendable (TimeInterval) -> Void)?

    /// Creates a supervisor.
    /// - Parameters:
    ///   - store: The store.
    ///   - syncLog: The SyncLog writer (the supervisor becomes its only user).
    ///   - clients: One client per platform.
    ///   - settings: Worker settings.
    ///   - maxConcurrent: `sync.max_concurrent`.
    ///   - clock: The time source.
    ///   - seed: Seeds the per-account jitter generators.
    ///   - logger: Root logger.
    ///   - onRecord: Called after every SyncLog write (metrics).
    ///   - onLateness: Called with each scheduled run's lateness (metrics).
    public init(
        store: Store, syncLog: SyncLogWriter, clients: [Platform: any PlatformClient], settings: Settings,
        maxConcurrent: Int, clock: any DaemonClock, seed: UInt64, logger: Logger,
        onRecord: (@Sendable (SyncLogEntry) -> Void)? = nil, onLateness: (@Sendable (TimeInterval) -> Void)? = nil
    ) {
        self.onRecord = onRecord
        self.onLateness = onLateness
        self.store = store
        self.syncLog = syncLog
        self.clients = clients
        self.settings = settings
        self.clock = clock
        self.seed = seed
        self.logger = logger
        limiter = AsyncSemaphore(permits: maxConcurrent)
    }

    /// The environment handed to every worker.
    var environment: SyncEnvironment {
        SyncEnvironment(
            store: store, clients: clients, clock: clock, limiter: limiter, recorder: self, logger: logger,
            observeLateness: onLateness)
    }

    /// Runs every account until graceful shutdown (SIGTERM) or cancellation; in-flight runs
    /// finish (each bounded by `sync.deadline`), then the SyncLog is flushed.
    public func run() async throws {
        let records = try store.accounts()
        for record in records where lastStatuses[record.id.description] == nil {
            // Reading back a 64 MiB SyncLog at start-up is not worth it: the store knows whether
            // the last run failed; a partial run shows as success until the next run.
            if record.consecutiveFailures > 0 {
                lastStatuses[record.id.description] = .error
            } else if record.lastSyncAt != nil {
                lastStatuses[record.id.description] = .success
            }
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for record in records {
                    guard let mailbox = register(record.id) else { continue }
                    group.addTask { await self.supervise(record, mailbox: mailbox) }
                }
                while !shutdown.isFired {
                    let received = await commands.receive(until: nil, clock: clock)
                    if Task.isCancelled { beginShutdown() }
                    for case .add(let record) in received where !shutdown.isFired {
                        // An account added while the supervisor was starting is already running.
                        guard let mailbox = register(record.id) else { continue }
                        group.addTask { await self.supervise(record, mailbox: mailbox) }
                    }
                }
                await group.waitForAll()
            }
        } onGracefulShutdown: {
            self.beginShutdown()
        }
        await syncLog.close()
        logger.info("supervisor stopped")
    }

    /// Stops scheduling: runs that have not started do not start, workers leave after their
    /// current run. Safe to call from any thread, more than once.
    public nonisolated func beginShutdown() {
        guard !shutdown.isFired else { return }
        shutdown.fire()
        limiter.close()
        for slot in slots.withLock({ Array($0.values) }) { slot.mailbox.post(.stop) }
        commands.post(.wake)
    }

    /// Creates the account's slot; nil when it already has one (it is supervised already).
    private nonisolated func register(_ id: AccountID) -> Mailbox<AccountEvent>? {
        slots.withLock { slots in
            if slots[id] != nil { return nil }
            let mailbox = Mailbox<AccountEvent>()
            slots[id] = Slot(mailbox: mailbox, actor: nil)
            return mailbox
        }
    }

    /// One account's child task: runs its worker, restarts it after a crash, parks it after a
    /// crash loop. Returns when the account is removed or the daemon stops.
    private func supervise(_ initial: AccountRecord, mailbox: Mailbox<AccountEvent>) async {
        var record = initial
        let id = record.id
        defer {
            slots.withLock { $0.removeValue(forKey: id) }?.stopped.fulfill(())
            removed.remove(id)
        }
        while !shutdown.isFired && !removed.contains(id) {
            let actor = AccountActor(
                record: record, settings: settings.schedule, runSettings: settings.run, environment: environment,
                mailbox: mailbox, lastStatus: lastStatuses[id.description], seed: Self.seed(for: id, base: seed))
            slots.withLock { $0[id]?.actor = actor }
            do {
                try await actor.run()
                return
            } catch {
                guard !shutdown.isFired, !removed.contains(id) else { return }
                var policy = policies[id] ?? RestartPolicy(maxRestarts: settings.restartMax, window: settings.restartWithin)
                let decision = policy.crashed(at: clock.now)
                policies[id] = policy
                switch decision {
                case .restart(let delay):
                    logger.warning("account worker crashed, restarting", metadata: [
                        "account.id": "\(id)", "error": "\(error)", "restart.delay_ms": "\(delay.milliseconds)",
                    ])
                    if await shutdown.wait(until: clock.now.addingTimeInterval(delay.seconds), clock: clock) { return }
                case .quarantine(let crashes):
                    await quarantine(actor, crashes: crashes, error: error)
                }
                do {
                    guard let fresh = try store.account(id) else { return }
                    record = fresh
                } catch {
                    logger.error("account could not be reloaded", metadata: ["account.id": "\(id)", "error": "\(error)"])
                    record.state = .quarantined
                }
            }
        }
    }

    private func quarantine(_ actor: AccountActor, crashes: Int, error: any Error) async {
        let message = "quarantined after \(crashes) crashes within \(DurationText.format(settings.restartWithin)): \(error)"
        logger.error("account quarantined", metadata: ["account.id": "\(actor.id)", "error": "\(error)"])
        do { try await actor.quarantine(message) } catch {
            logger.error("quarantine could not be persisted", metadata: ["account.id": "\(actor.id)", "error": "\(error)"])
        }
        let now = clock.now
        let entry = SyncLogEntry(
            accountId: actor.id.description, platform: actor.id.platform, trigger: .schedule, postsFound: 0,
            postsSynced: 0, status: .error, errorMessage: message, duration: 0, createdAt: now, startedAt: now,
            apiCalls: 0, tokenRefreshed: false, attempt: crashes)
        _ = try? await record(entry)
    }

    // MARK: - SyncRecorder

    /// Writes an entry to the SyncLog (the only path to it) and tells the observers.
    public func record(_ entry: SyncLogEntry) async throws -> SyncLogEntry {
        let written = try await syncLog.append(entry)
        lastStatuses[written.accountId] = written.status
        onRecord?(written)
        return written
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
