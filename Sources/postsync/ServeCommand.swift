import ArgumentParser
import Foundation
import Logging
import PostSync

/// `postsync serve`: the daemon.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: keep every account in sync until SIGTERM.",
        discussion: """
            Exits 0 after a graceful stop (SIGTERM/SIGINT: no new runs start, runs in flight finish \
            within sync.deadline, the SyncLog is flushed). Exits 2 on a configuration error, naming the key.
            With --once: sync every active autoSync account once, write the SyncLog, exit \
            (0 all succeeded, 1 any failed).
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Sync every active account once and exit (for cron, systemd timers, benchmarks).")
    var once = false

    @Option(
        name: .long, help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError(
                "--log-level: \"\(logLevel)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        let configuration: Configuration
        do { configuration = try global.loadConfiguration() } catch {
            printError("postsync: \(error)")
            throw ExitCode(2)
        }
        let environment = ProcessInfo.processInfo.environment
        // Under systemd, lines carry syslog priorities and no timestamp (journald adds both).
        let journal = JournalLogHandler.stderrIsJournal(environment: environment)
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, journal: journal, logLevel: level) }
        let logger = Logger(label: "postsync")
        let stateDirectory = global.stateDirectory(configuration)
        // Everything the daemon creates holds tokens or their traces: private by default.
        umask(0o077)
        let daemon: Daemon
        do {
            var reload: (@Sendable () throws -> Configuration)?
            if let path = global.configPath {
                reload = { @Sendable () throws -> Configuration in try ConfigurationLoader.load(path: path) }
            }
            // A `--once` pass beside a running daemon with the same cluster.node_id must not take that
            // daemon's leases for its own (it renews and gives up every lease of its node id).
            let node = once ? Daemon.onceNodeID(configuration) : nil
            daemon = try await Daemon(
                configuration: configuration, stateDirectory: stateDirectory, logger: logger, node: node,
                reloadConfiguration: reload)
        } catch let error as TokenSealer.OpenError {
            printError("postsync: \(error)")
            throw ExitCode(1)
        } catch let error as StoreError {
            let target = configuration.database.url.map { "the database \($0) (schema \(configuration.database.schema))" }
            printError("postsync: cannot open \(target ?? "the state in \(stateDirectory)"): \(error)")
            throw ExitCode(1)
        } catch {
            printError("postsync: cannot open the state in \(stateDirectory): \(error)")
            throw ExitCode(1)
        }
        if once {
            let summary = try await daemon.runOnce()
            await daemon.close()
            print("synced \(summary.synced) of \(summary.total) account(s), \(summary.failed) failed")
            for failure in summary.errors { printError("\(failure.accountId): \(failure.message)") }
            throw ExitCode(summary.failed == 0 ? 0 : 1)
        }
        let systemd = Daemon.SystemdSettings(
            notifier: SystemdNotifier(environment: environment),
            watchdogInterval: SystemdNotifier.watchdogInterval(environment: environment))
        do {
            try await daemon.run(systemd: systemd)
        } catch {
            printError("postsync: \(error)")
            throw ExitCode(1)
        }
    }
}
