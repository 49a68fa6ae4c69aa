import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Builds the daemon from a configuration: the store, the SyncLog, the platform clients and the
/// supervisor, and runs them as one service group. `postsync serve` and the tests build it the
/// same way.
public final class Daemon: Sendable {
    /// The resolved state directory.
    public let stateDirectory: String
    /// The configuration the daemon started with (what cannot change live comes from here).
    public let configuration: Configuration
    /// The configuration in force after reloads.
    let current: Locked<Configuration>
    /// Re-reads the configuration file (SIGHUP); nil when there is none.
    let reloadConfiguration: (@Sendable () throws -> Configuration)?
    /// The listener's secrets, replaced on reload.
    let listenerSecrets: SecretsBox
    /// The store, behind the token vault (every token read and write goes through it).
    public let store: any Store
    /// The vault that seals tokens (CONTRACT section 13); `vault.base` is the store itself.
    public let vault: TokenVault
    /// The SyncLog writer (readers and followers subscribe to it).
    public let syncLog: SyncLogWriter
    /// The one writer of SyncLog entries.
    public let recorder: SyncLogRecorder
    /// The supervisor of all account workers.
    public let supervisor: Supervisor
    /// Prometheus metrics.
    public let metrics: DaemonMetrics
    /// The OAuth connect flows (CONTRACT section 11).
    public let connect: ConnectService
    /// This daemon's node id.
    public let node: String
    /// The link to the other daemons sharing the database (PostgreSQL), nil with SQLite.
    public let cluster: ClusterLink?
    /// When the daemon was built (its node row's `started_at`).
    let startedAt = Date()
    /// Claims, renews and balances the leases, with PostgreSQL.
    public let coordinator: ClusterCoordinator?
    /// The injected clock.
    let clock: any DaemonClock
    /// TikTok's per-endpoint budgets (a share of them with several daemons).
    let tiktokBudgets: TikTokBudgets
    let httpClient: HTTPClient
    /// The platforms' HTTP client's one event loop; sync runs prefer it as their executor
    /// (`EventLoopTaskExecutor`).
    let platformLoops: MultiThreadedEventLoopGroup
    let logger: Logger

    /// Opens the state directory (mode 0700), the store and the SyncLog, and builds the clients.
    /// - Parameters:
    ///   - configuration: The loaded configuration.
    ///   - stateDirectory: Where the state lives (resolved by the caller, CONTRACT section 2).
    ///   - clock: The time source (tests inject a manual one).
    ///   - seed: Seeds the schedule jitter.
    ///   - fsync: SyncLog durability policy.
    ///   - logger: Root logger.
    ///   - reloadConfiguration: Re-reads the config file on SIGHUP.
    ///   - node: This daemon's node id (CONTRACT section 10; default: `cluster.node_id`, else the
    ///     host name and 6 random hex characters, new at each start).
    /// - Throws: When the directory, the database or the SyncLog cannot be opened; with
    ///   PostgreSQL, `StoreError.unavailable` when the server cannot be reached at start and
    ///   `StoreError.schemaTooNew` when another postsync migrated the schema further.
    public init(
        configuration: Configuration, stateDirectory: String, clock: any DaemonClock = SystemClock(),
        seed: UInt64 = UInt64.random(in: 0...UInt64.max), fsync: SyncLogFsyncPolicy = Daemon.syncLogFsync, logger: Logger,
        node: String? = nil,
        reloadConfiguration: (@Sendable () throws -> Configuration)? = nil
    ) async throws {
        let node = node ?? configuration.cluster.nodeID ?? Self.defaultNodeID()
        self.node = node
        self.configuration = configuration
        current = Locked(configuration)
        self.reloadConfiguration = reloadConfiguration
        listenerSecrets = SecretsBox(Self.listenerSecrets(configuration))
        self.stateDirectory = stateDirectory
        self.logger = logger
        self.clock = clock
        try Self.prepareStateDirectory(stateDirectory)
        let base = try await Self.openStore(configuration, stateDirectory: stateDirectory, logger: logger)
        let vault = TokenVault(base: base, key: configuration.database.tokenKey)
        self.vault = vault
        let store: any Store = vault
        self.store = store
        do {
            try await vault.prepare(logger: logger)
            syncLog = try SyncLogWriter(
                directory: stateDirectory, maxBytes: configuration.synclog.maxBytes, keep: configuration.synclog.keep,
                fsync: fsync)
        } catch {
            await store.close()
            throw error
        }
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        httpConfiguration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        // One loop: a run and its HTTP responses then share a thread (see EventLoopTaskExecutor).
        // A run's CPU is a few milliseconds, so one loop carries thousands of runs per second.
        platformLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        httpClient = HTTPClient(eventLoopGroupProvider: .shared(platformLoops), configuration: httpConfiguration)
        let transport = HTTPTransport(client: httpClient)
        // What kinds of media do not support which insights metrics, remembered across restarts.
        let unsupported: [InsightMetricKey: Date]
        do { unsupported = try await store.unsupportedInsights() } catch {
            await Self.shutDown(httpClient, platformLoops)
            await store.close()
            throw error
        }
        let insightLogger = logger
        let support = InsightSupport(table: InsightSupportTable(unsupported: unsupported)) { key, since in
            do {
                try await store.saveInsightSupport(key, unsupportedSince: since)
            } catch {
                // Only costs a repeated question after a restart.
                insightLogger.warning("insight support not saved", metadata: ["insights.metric": "\(key)", "error": "\(error)"])
            }
            if since != nil {
                insightLogger.notice("insights metric not supported for this media", metadata: ["insights.metric": "\(key)"])
            }
        }
        let budgets = TikTokBudgets(requestsPerMinute: configuration.tiktok.requestsPerMinute, clock: clock)
        tiktokBudgets = budgets
        let clients = Self.clients(
            configuration, transport: transport, clock: clock, support: support, tiktokBudgets: budgets)
        let metrics = DaemonMetrics()
        self.metrics = metrics
        // With PostgreSQL, daemons sharing the database lease the accounts (CONTRACT section 10).
        if let clusterStore = base as? any ClusterStore {
            cluster = ClusterLink(
                store: clusterStore, book: LeaseBook(node: node, lease: configuration.cluster.lease), logger: logger)
        } else {
            cluster = nil
        }
        recorder = SyncLogRecorder(
            writer: syncLog, table: store.syncLogTable, health: store.health, node: node, logger: logger,
            onRecord: { metrics.record($0) })
        let supervisor = Supervisor(
            store: store, recorder: recorder, clients: clients, settings: Self.supervisorSettings(configuration),
            maxConcurrent: configuration.sync.maxConcurrent, clock: clock, seed: seed, logger: logger,
            onLateness: { metrics.lateness($0) }, cluster: cluster,
            runExecutor: EventLoopTaskExecutor(platformLoops.next()), wakeCoalescing: Self.wakeCoalescing)
        self.supervisor = supervisor
        let startedAt = self.startedAt
        coordinator = cluster.map { cluster in
            ClusterCoordinator(
                store: cluster.store, vault: vault, supervisor: supervisor, link: cluster, startedAt: startedAt,
                logger: logger)
        }
        if cluster != nil, let shared = base as? any SharedCallBudget { await budgets.share(through: shared) }
        connect = ConnectService(
            supervisor: supervisor, transport: transport, configuration: configuration, clock: clock, logger: logger)
        do {
            try await recorder.reconcile()
        } catch {
            await close()
            throw error
        }
    }

    /// The SyncLog's durability: records synced to disk in groups, at most 200 ms after they were
    /// written (`SyncLogFsyncPolicy.batched`).
    public static let syncLogFsync = SyncLogFsyncPolicy.batched(window: .milliseconds(200))

    /// Scheduled wake-ups are served in batches at least this far apart (`WakeTimer`): a run
    /// starts at most this late, and the threads wake once for every run due in it.
    static let wakeCoalescing = Duration.milliseconds(500)

    /// A node id: the host name and 6 random hex characters (CONTRACT section 10).
    public static func defaultNodeID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "postsync"
        return "\(host.isEmpty ? "postsync" : host)-\(String(format: "%06x", UInt32.random(in: 0..<(1 << 24))))"
    }

    /// The node id of a `serve --once` pass: `cluster.node_id` (or the default) with `-once` and 6
    /// random hex characters, so that it never shares a node id with a running daemon.
    public static func onceNodeID(_ configuration: Configuration) -> String {
        let base = configuration.cluster.nodeID ?? defaultNodeID()
        return "\(base.prefix(50))-once-\(String(format: "%06x", UInt32.random(in: 0..<(1 << 24))))"
    }

    /// The control socket path: `control.socket`, else `<state_dir>/control.sock`.
    public var socketPath: String {
        configuration.control.socket ?? stateDirectory + "/control.sock"
    }

    /// The long-running services in start order (shutdown runs in reverse: listeners first).
    /// - Parameters:
    ///   - onControlReady: Called once the control socket is bound.
    ///   - onHTTPReady: Called with the HTTP listener's port once it listens.
    public func services(
        onControlReady: @escaping @Sendable () async -> Void = {}, onHTTPReady: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> [any Service] {
        let api = ControlAPI(
            supervisor: supervisor, store: store, syncLog: syncLog, clock: clock, startedAt: clock.now, logger: logger,
            vault: vault, connect: connect)
        let control = ControlServer(
            api: api, path: socketPath, mode: configuration.control.mode, logger: logger, onReady: onControlReady)
        var services: [any Service] = []
        // Before the supervisor: shut down after it, so the leases outlive the runs in flight.
        if let coordinator { services.append(coordinator) }
        services += [supervisor, HeartbeatService(supervisor: supervisor, clock: clock), control]
        if case .address(let host, let port) = configuration.http.listen {
            let listener = HTTPListenerAPI(
                supervisor: supervisor, secrets: listenerSecrets, metrics: metrics, clock: clock, logger: logger,
                connect: connect)
            services.append(
                HTTPListenerServer(
                    api: listener, host: host, port: port, maxBody: configuration.http.maxBody, logger: logger,
                    onReady: onHTTPReady))
        }
        return services
    }

    /// What `run` needs from systemd's environment (read by the executable, not the library).
    public struct SystemdSettings: Sendable {
        /// nil when not started by systemd.
        public var notifier: SystemdNotifier?
        /// Half of `WATCHDOG_USEC`, nil without a watchdog.
        public var watchdogInterval: Duration?

        /// Creates the settings.
        public init(notifier: SystemdNotifier?, watchdogInterval: Duration?) {
            self.notifier = notifier
            self.watchdogInterval = watchdogInterval
        }
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully. SIGHUP reloads.
    public func run(systemd: SystemdSettings = .init(notifier: nil, watchdogInterval: nil)) async throws {
        // Fail before anything starts when another daemon owns the socket.
        try ControlServer.clearStaleSocket(at: socketPath)
        let listening = if case .address = configuration.http.listen { 2 } else { 1 }
        let readiness = Readiness(listeners: listening)
        var all = services(onControlReady: { readiness.mark() }, onHTTPReady: { _ in readiness.mark() })
        all.append(
            SystemdService(
                notifier: systemd.notifier, readiness: readiness, supervisor: supervisor,
                watchdogInterval: systemd.watchdogInterval, clock: clock, logger: logger))
        all.append(ReloadService(daemon: self, notifier: systemd.notifier))
        let group = ServiceGroup(
            configuration: .init(
                services: all.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info("postsync serving", metadata: ["state_dir": "\(stateDirectory)"])
        do {
            try await group.run()
        } catch {
            await close()
            throw error
        }
        await close()
    }

    /// Runs the supervisor (and, with PostgreSQL, the cluster coordinator that hands it the
    /// accounts it leases) until `supervisor.beginShutdown()`, outside a service group: what
    /// tests run instead of `run()`. The leases are given up at the end.
    public func runEngine() async throws {
        guard let coordinator else {
            try await supervisor.run()
            return
        }
        let coordinating = Task { try await coordinator.run() }
        do {
            try await supervisor.run()
        } catch {
            coordinating.cancel()
            _ = await coordinating.result
            throw error
        }
        coordinating.cancel()
        _ = await coordinating.result
    }

    /// `serve --once`: syncs every active account once and returns the summary. Call `close()` after.
    /// With PostgreSQL it syncs the accounts no live daemon holds, under leases like any daemon
    /// (renewed while it runs, given up at the end).
    public func runOnce() async throws -> SyncAllSummary {
        guard let coordinator else {
            let summary = try await supervisor.syncOnce()
            await recorder.close()
            return summary
        }
        let claimed = try await coordinator.claimForOnce()
        let renewal = Task { await coordinator.keepRenewing() }
        defer { renewal.cancel() }
        let summary: SyncAllSummary
        do {
            summary = try await supervisor.syncOnce(claimed: claimed)
        } catch {
            renewal.cancel()
            await coordinator.leave()
            throw error
        }
        renewal.cancel()
        await coordinator.leave()
        await recorder.close()
        return summary
    }

    /// Releases the HTTP client and the store's connections (after `run`, or after `runOnce`
    /// when the caller owns the lifetime). Safe to call more than once.
    public func close() async {
        await Self.shutDown(httpClient, platformLoops)
        await store.close()
    }

    private static func shutDown(_ client: HTTPClient, _ loops: MultiThreadedEventLoopGroup) async {
        try? await client.shutdown()
        try? await loops.shutdownGracefully()
    }

    /// The store the configuration selects: PostgreSQL with `database.url`, else SQLite at
    /// `<state_dir>/postsync.sqlite` (CONTRACT section 9).
    public static func openStore(_ configuration: Configuration, stateDirectory: String, logger: Logger) async throws
        -> any Store
    {
        if configuration.database.isPostgres {
            return try await PostgresStore.open(configuration.database, logger: logger)
        }
        return try SQLiteStore(path: stateDirectory + "/postsync.sqlite")
    }

    /// Creates the state directory if needed and makes it private (0700): it holds tokens.
    public static func prepareStateDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
    }

    /// The supervisor settings a configuration asks for.
    public static func supervisorSettings(_ c: Configuration) -> Supervisor.Settings {
        Supervisor.Settings(
            schedule: .init(
                interval: c.sync.interval, jitter: c.sync.jitter,
                backoff: Backoff(min: c.sync.backoff.min, max: c.sync.backoff.max), mode: c.sync.schedule),
            run: .init(
                lookback: c.sync.lookback, deadline: c.sync.deadline,
                tokenPolicy: TokenPolicy(
                    instagramRefreshBefore: c.instagram.refreshBefore, tiktokRefreshBefore: c.tiktok.refreshBefore)),
            restartMax: c.sync.restart.max, restartWithin: c.sync.restart.within,
            tiktokRequestsPerMinute: c.tiktok.requestsPerMinute)
    }

    static func clients(
        _ c: Configuration, transport: HTTPTransport, clock: any DaemonClock, support: InsightSupport = InsightSupport(),
        tiktokBudgets: TikTokBudgets? = nil
    ) -> [Platform: any PlatformClient] {
        let instagram = InstagramClient(
            transport: transport,
            settings: .init(
                graphURL: c.instagram.graphURL, facebookGraphURL: c.instagram.facebookGraphURL,
                apiVersion: c.instagram.apiVersion, insights: c.instagram.insights,
                insightsLookback: c.instagram.insightsLookback, insightsEvery: c.instagram.insightsEvery),
            governor: MetaUsageGovernor(clock: clock), clock: clock, support: support)
        let tiktok = TikTokClient(
            transport: transport,
            settings: .init(apiURL: c.tiktok.apiURL, clientKey: c.tiktok.clientKey, clientSecret: c.tiktok.clientSecret?.value),
            budgets: tiktokBudgets ?? TikTokBudgets(requestsPerMinute: c.tiktok.requestsPerMinute, clock: clock),
            clock: clock)
        return [.instagram: instagram, .tiktok: tiktok]
    }
}
