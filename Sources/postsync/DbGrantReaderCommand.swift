import ArgumentParser
import Logging
import PostSync

/// `postsync db grant-reader ROLE [--print]`: lets an application's role read the views, and
/// nothing else (never `accounts`, which holds the tokens).
struct DbGrantReaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant-reader",
        abstract: "Grant a PostgreSQL role read access to the views for applications.",
        discussion: """
            Grants USAGE on the schema and SELECT on "SocialAccount", "PostMetrics", \
            "PostMetricsHistory" and "SyncLog" only: never on the tables, and never on accounts, \
            which holds the tokens. Needs database.url; runs as the daemon's own database role \
            (which owns the schema). With --print, prints the SQL instead, for a DBA to run.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The PostgreSQL role of the application (it must exist).", valueName: "role"))
    var role: String

    @Flag(help: "Print the SQL instead of running it.")
    var print = false

    func run() async throws {
        let configuration = try global.loadConfiguration()
        guard !role.isEmpty, !role.contains("\u{0}") else { throw UsageFailure(message: "ROLE must be a role name") }
        guard configuration.database.isPostgres else {
            throw UsageFailure(message: "grant-reader needs PostgreSQL: set database.url in the config")
        }
        let statements = PostgresStore.grantReaderSQL(role: role, schema: configuration.database.schema)
        if print {
            for statement in statements { Output.line(statement + ";") }
            return
        }
        do {
            try await PostgresStore.open(configuration.database, logger: Self.quietLogger).closing {
                try await $0.grantReader(role: role)
            }
        } catch let error as StoreError {
            throw OperationFailure(message: "\(error)")
        }
        Output.line("granted \(role) read access to the views of schema \(configuration.database.schema)")
    }
}
