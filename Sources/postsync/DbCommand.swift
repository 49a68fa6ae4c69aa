import ArgumentParser
import Logging

/// `postsync db`: the store itself (CONTRACT section 9).
struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Inspect the store and grant applications read access (PostgreSQL).",
        subcommands: [DbStatusCommand.self, DbGrantReaderCommand.self])
}

extension ParsableCommand {
    /// A logger for commands that open the store: warnings and errors only (migrations and the
    /// "database ready" line are the daemon's business).
    static var quietLogger: Logger {
        var logger = Logger(label: "postsync.db")
        logger.logLevel = .warning
        return logger
    }
}
