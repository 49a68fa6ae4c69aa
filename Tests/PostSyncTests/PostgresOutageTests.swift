import Foundation
import PostSyncSimulator
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The real daemon binary on a private PostgreSQL server that the test stops and starts again
/// under it (CONTRACT section 9: an unreachable database is an outage, not a crash).
@Suite struct PostgresOutageTests {
    static let sim = SimulatorConfiguration(seed: 5, instagramAccounts: 2, tiktokAccounts: 2, postsPerAccount: 6)

    /// Should keep running while the server is down: `/healthz` 503, `"database":"unavailable"`
    /// in `GET /v1/status` and `postsync status`, no platform calls; and sync again once it is
    /// back, with `sync_log` and the JSON-lines file still holding the same entries.
    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func outagePausesSyncingAndResumes() async throws {
        try await withPostgresTestServer { server in
            try await SimulatorHarness.with(Self.sim) { world, simulatorURL in
                let database = Configuration.Database(url: try DatabaseURL.parse(server.url), tls: .disable)
                let ids = try await PostgresStore.open(database, logger: testLogger()).closing {
                    try await SimulatorHarness.importAccounts(from: world, into: $0)
                }
                let port = try PostgresTestServer.freeLoopbackPort()
                let yaml = """
                    database:
                      url: \(server.url)
                      tls: disable
                    sync:
                      schedule: fixed
                      interval: 1s
                      jitter: 0
                      backoff:
                        min: 1s
                        max: 2s
                    """
                try await withDaemonProcess(simulatorURL: simulatorURL, extraYAML: yaml, httpListen: "127.0.0.1:\(port)") {
                    daemon in
                    let reader = SyncLogReader(directory: daemon.stateDirectory)
                    try await eventually("first syncs") { try reader.readAll().entries.count >= ids.count }
                    #expect(try await Self.health(port) == 200)

                    try await server.stop()
                    try await eventually("/healthz 503", timeout: .seconds(20)) { try await Self.health(port) == 503 }
                    let status = try await daemon.curl("GET", "/v1/status")
                    let decoded = try JSONCoding.decoder().decode(DaemonStatus.self, from: Data(status.body.utf8))
                    #expect(status.status == 200 && decoded.database == "unavailable")
                    #expect(decoded.accounts.count == ids.count, "status still lists the accounts from memory")
                    let cli = try await daemon.cli(["status"])
                    #expect(cli.stdout.contains("DATABASE UNAVAILABLE"), "\(cli.stdout)\(cli.stderr)")
                    // Runs are due every second; during the outage none may reach a platform. A
                    // trigger queues, it does not run either.
                    await world.clearRequestLog()
                    #expect(try await daemon.curl("POST", "/v1/accounts/\(ids[0])/sync").status == 202)
                    let quiet = ContinuousClock.now + .seconds(3)
                    while ContinuousClock.now < quiet {
                        #expect(await world.requestLog().filter { $0.accountId != nil }.isEmpty)
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(daemon.process.process.isRunning, "an outage is not a crash")

                    let before = try reader.readAll().entries.count
                    try await server.restart()
                    try await eventually("/healthz 200 again", timeout: .seconds(20)) { try await Self.health(port) == 200 }
                    try await eventually("syncs after the outage", timeout: .seconds(20)) {
                        try reader.readAll().entries.dropFirst(before).filter { $0.status == .success }.count >= ids.count
                    }
                    let stopped = try await daemon.stop()
                    #expect(stopped.status == 0, "\(stopped.stderr.suffix(2000))")

                    let rows = try await PostgresStore.open(database, logger: testLogger()).closing {
                        try await $0.entries(after: 0, limit: 100_000)
                    }
                    let lines = try reader.readAll().entries
                    #expect(rows.map { $0.jsonLine() } == lines.map { $0.jsonLine() }, "sync_log and synclog.jsonl agree")
                }
            }
        }
    }

    /// `GET /healthz` on the daemon's HTTP listener: the status code (0 when it does not answer).
    static func health(_ port: Int) async throws -> Int {
        let output = try await ProcessRunner.run(
            "/usr/bin/env",
            ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
        return Int(output.stdout) ?? 0
    }
}
