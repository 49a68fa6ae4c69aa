import ArgumentParser
import Foundation
import Logging
import PostSync

/// `postsync db status [--json]`: backend, schema version and row counts, read straight from the
/// store the config selects (the daemon need not run).
struct DbStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the store's backend, schema version and row counts.",
        discussion: """
            Opens the store the configuration selects (SQLite in the state directory, or PostgreSQL \
            with database.url) directly, so it works whether or not the daemon runs. Opening \
            applies pending migrations, as the daemon does at start.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let directory = global.stateDirectory(configuration)
        let logger = Self.quietLogger
        let report: DatabaseReport
        do {
            if let url = configuration.database.url {
                report = try await PostgresStore.open(configuration.database, logger: logger).closing {
                    try await $0.report(url: url)
                }
            } else {
                let path = directory + "/postsync.sqlite"
                guard FileManager.default.fileExists(atPath: path) else {
                    throw OperationFailure(message: "no database at \(path) (the daemon creates it at its first start)")
                }
                report = try await SQLiteStore(path: path).report(path: path)
            }
        } catch let error as StoreError {
            throw OperationFailure(message: "\(error)")
        }
        if json {
            let encoder = JSONCoding.encoder()
            encoder.outputFormatting.insert(.sortedKeys)
            Output.json(try encoder.encode(report))
            return
        }
        Output.line("backend:  \(report.backend)")
        Output.line("location: \(report.location)")
        if let schema = report.schema { Output.line("schema:   \(schema)") }
        Output.line("version:  \(report.schemaVersion) (this postsync: \(report.latestVersion))")
        for (table, count) in report.rows.sorted(by: { $0.key < $1.key }) {
            Output.line("\(table.padding(toLength: 13, withPad: " ", startingAt: 0)) \(count) rows")
        }
    }
}
