import AsyncHTTPClient
import Foundation
import Logging
import PostSync
import PostSyncSimulator
import ServiceLifecycle
import UnixSignals

/// Wires the demo: simulator, daemon, publisher and the live printer, as one service group.
struct DemoRunner {
    let accounts: Int
    let publishEvery: Duration
    let interval: Duration
    let duration: Duration?
    let keepState: Bool
    let database: Configuration.Database
    let style: TerminalStyle
    let directory: String
    let logger = Logger(label: "postsync.demo")

    init(
        accounts: Int, publishEvery: Duration, interval: Duration, duration: Duration?, keepState: Bool,
        database: Configuration.Database, style: TerminalStyle
    ) throws {
        self.database = database
        self.accounts = accounts
        self.publishEvery = publishEvery
        self.interval = interval
        self.duration = duration
        self.keepState = keepState
        self.style = style
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("postsync-demo-\(getpid())").path
    }

    func run() async throws {
        umask(0o077)
        guard let httpPort = LoopbackPort.free() else { throw OperationFailure(message: "cannot find a free port") }
        var simulatorConfiguration = SimulatorConfiguration(
            seed: UInt64(Date().timeIntervalSince1970), instagramAccounts: (accounts + 1) / 2, tiktokAccounts: accounts / 2,
            postsPerAccount: 12)
        simulatorConfiguration.webhookURL = "http://127.0.0.1:\(httpPort)"
        let world = SimulatorWorld(configuration: simulatorConfiguration)
        var quiet = logger
        // Stopping the simulator's listener by cancellation is expected; don't report it.
        quiet.logLevel = .critical
        let simulator = SimulatorServer(world: world, logger: quiet)
        let simulatorPort = Promise<Int>()
        let simulatorService = SimulatorService(server: simulator, ready: simulatorPort)

        // The daemon needs the simulator's URL, so the simulator starts first.
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulatorService.runAlone() }
            let port = await simulatorPort.value
            let daemon = try await makeDaemon(
                simulatorURL: "http://127.0.0.1:\(port)", httpPort: httpPort, simulator: simulatorConfiguration)
            try await daemon.store.insertAccounts(await world.accounts().map { try $0.newAccount.record(now: Date()) })
            printBanner(daemon: daemon, simulatorPort: port, httpPort: httpPort)
            let services: [any Service] =
                daemon.services() + [
                    DemoPrinter(syncLog: daemon.syncLog, style: style),
                    DemoPublisher(world: world, every: publishEvery, style: style),
                    DemoTimer(duration: duration),
                ]
            let serviceGroup = ServiceGroup(
                configuration: .init(
                    services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await serviceGroup.run()
            let stored = (try? await daemon.store.postCounts().values.reduce(0, +)) ?? 0
            if !keepState, let store = daemon.vault.base as? PostgresStore { try? await store.dropSchema() }
            await daemon.close()
            group.cancelAll()
            Output.line("\ndemo stopped: \(stored) posts stored")
            if keepState {
                Output.line("state kept in \(directory)")
                if database.isPostgres { Output.line("PostgreSQL schema \(database.schema) kept") }
            } else {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    private func makeDaemon(simulatorURL: String, httpPort: Int, simulator: SimulatorConfiguration) async throws -> Daemon {
        var c = Configuration()
        c.instagram.graphURL = simulatorURL
        c.instagram.facebookGraphURL = simulatorURL
        c.instagram.appSecret = Secret(simulator.instagramAppSecret)
        c.instagram.verifyToken = Secret("demo-verify-token")
        c.tiktok.apiURL = simulatorURL
        c.tiktok.clientKey = simulator.tiktokClientKey
        c.tiktok.clientSecret = Secret(simulator.tiktokClientSecret)
        c.http.listen = .address(host: "127.0.0.1", port: httpPort)
        // `postsync connect` against the simulator's consent screens: Instagram comes back to the
        // daemon's own callback, TikTok to the CLI's loopback listener (the default redirect).
        c.instagram.connect.appID = simulator.instagramAppId
        c.instagram.connect.redirectURI = try? RedirectURI.parse("http://127.0.0.1:\(httpPort)/oauth/instagram/callback").get()
        c.instagram.connect.authorizeURL = simulatorURL + "/oauth/authorize"
        c.instagram.connect.tokenURL = simulatorURL + "/oauth/access_token"
        c.instagram.connect.facebookAuthorizeURL = simulatorURL + "/\(c.instagram.apiVersion)/dialog/oauth"
        c.tiktok.connect.authorizeURL = simulatorURL + "/v2/auth/authorize/"
        c.sync.interval = interval
        // The adaptive schedule, with limits scaled to the demo's short interval so that what it
        // learns shows within minutes (`status`: EVERY and POSTS/DAY).
        c.sync.schedule = .adaptive(.init(minInterval: interval / 4, maxInterval: interval * 4))
        c.sync.jitter = 0.2
        c.sync.backoff = .init(min: .seconds(2), max: .seconds(30))
        c.database = database
        return try await Daemon(configuration: c, stateDirectory: directory, logger: logger)
    }

    private func printBanner(daemon: Daemon, simulatorPort: Int, httpPort: Int) {
        let socket = daemon.socketPath
        var storeLine = "  store         SQLite \(directory)/postsync.sqlite"
        if let url = database.url {
            let views = "\"SocialAccount\", \"PostMetrics\", \"PostMetricsHistory\", \"SyncLog\""
            storeLine = """
                  store         PostgreSQL \(url), schema \(database.schema) (views \(views))
                  look          psql '\(url)' -c 'SELECT "accountId", "postId", "likeCount", "viewCount" \
                FROM \(database.schema)."PostMetrics" ORDER BY "publishedAt" DESC LIMIT 5'
                """
        }
        Output.line(
            """
            postsync demo: \(accounts) sample accounts on a simulated Instagram and TikTok
              simulator     http://127.0.0.1:\(simulatorPort)   (admin: /_sim/accounts, /_sim/publish?account=ID)
              webhooks      http://127.0.0.1:\(httpPort)/webhooks/instagram, /webhooks/tiktok, /metrics, /healthz
              state         \(directory)
            \(storeLine)
            Try in another terminal:
              postsync status --socket \(socket)
              postsync logs -f --socket \(socket)
              postsync posts --socket \(socket) --limit 5
              postsync connect tiktok --no-browser --socket \(socket)
                (then open the URL it prints, or curl -sL 'URL': the simulated user clicks "allow" at once)
              curl -s --unix-socket \(socket) http://localhost/v1/status
              curl -s http://127.0.0.1:\(httpPort)/metrics | grep postsync_syncs_total
            A new post is published every \(DurationText.format(publishEvery)); each sync prints a line below. Ctrl-C stops.

            """)
    }
}
