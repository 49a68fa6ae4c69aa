import ArgumentParser
import Foundation
import Logging
import PostSync

/// `postsync demo`: the simulator and the daemon together, sample accounts already added, new
/// posts published every few seconds with webhooks, everything printed as it happens.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the daemon against the built-in simulator with sample accounts (no credentials needed).",
        discussion: """
            Starts a simulator of Instagram and TikTok, a daemon with a temporary state directory and \
            sample accounts of both platforms, publishes a new post every few seconds (the simulator \
            sends the webhook the real platform would), and prints every sync as it happens. It prints \
            the commands to try in another terminal. Ctrl-C stops everything; the state directory is \
            removed unless --keep-state is given.
            """)

    @Option(help: "Sample accounts (half Instagram, half TikTok).")
    var accounts = 4

    @Option(help: "Seconds between published posts.")
    var publishEvery: Double = 5

    @Option(help: ArgumentHelp("Per-account schedule of the demo daemon.", valueName: "duration"))
    var interval = "30s"

    @Flag(help: "Keep the temporary state directory at exit.")
    var keepState = false

    @Option(help: ArgumentHelp("Stop after this long (default: run until Ctrl-C).", valueName: "duration"))
    var duration: String?

    @Flag(
        help: """
            Store into PostgreSQL instead of SQLite: the server of --database-url, else of             $POSTSYNC_TEST_DATABASE_URL (run `scripts/with-postgres.sh swift run postsync demo --postgres`             for a throwaway one). The demo uses a schema of its own, dropped at exit unless --keep-state.
            """)
    var postgres = false

    @Option(
        help: ArgumentHelp(
            "PostgreSQL URL for --postgres (postgres://USER@HOST[:PORT]/DBNAME, no password).", valueName: "url"))
    var databaseURL: String?

    func validate() throws {
        guard (1...1000).contains(accounts) else { throw ValidationError("--accounts: must be 1 to 1000") }
        guard publishEvery > 0 else { throw ValidationError("--publish-every: must be positive") }
        guard DurationText.parse(interval).map({ $0 > .zero }) == true else {
            throw ValidationError("--interval: \"\(interval)\" is not a duration like 30s")
        }
        if let duration, DurationText.parse(duration) == nil {
            throw ValidationError("--duration: \"\(duration)\" is not a duration like 2m")
        }
        if databaseURL != nil, !postgres { throw ValidationError("--database-url: only with --postgres") }
    }

    /// The demo's `database` section: SQLite, or a fresh schema on the given server.
    func database() throws -> Configuration.Database {
        guard postgres else { return Configuration.Database() }
        guard let text = databaseURL ?? ProcessInfo.processInfo.environment["POSTSYNC_TEST_DATABASE_URL"] else {
            throw ValidationError(
                "--postgres: give --database-url, or run under scripts/with-postgres.sh (it sets POSTSYNC_TEST_DATABASE_URL)")
        }
        do {
            let url = try DatabaseURL.parse(text)
            let schema = "postsync_demo_\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            return Configuration.Database(url: url, schema: schema, maxConnections: 4, tls: .prefer)
        } catch {
            throw ValidationError("--database-url: \(error)")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, journal: false, logLevel: .warning) }
        let runner = try DemoRunner(
            accounts: accounts, publishEvery: .milliseconds(Int64(publishEvery * 1000)),
            interval: DurationText.parse(interval) ?? .seconds(30), duration: duration.flatMap(DurationText.parse),
            keepState: keepState, database: try database(), style: Output.style)
        try await runner.run()
    }
}
