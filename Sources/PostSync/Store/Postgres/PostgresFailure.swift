import NIOCore
import PostgresNIO

/// Sorts the errors of postgres-nio into "the database cannot be reached" (an outage: the store
/// is marked unavailable and reconnects) and everything else, and words them for logs and
/// `lastError`. `PSQLError`'s own description is deliberately generic and its debug description
/// quotes the statement and its binds, which may hold tokens, so neither is ever used.
enum PostgresFailure {
    /// SQLSTATE codes that mean "not now", on top of the connection exceptions (class 08) and
    /// insufficient resources (class 53: disk full, out of memory, too many connections):
    /// shutdown and crash (57P01–57P03), a server-side statement timeout (57014), a read-only
    /// standby after a failover (25006), and a serialization failure or deadlock (40001, 40P01),
    /// which the next run retries. Treated as an outage, they pause syncing while the probe
    /// checks the server, instead of failing workers into quarantine.
    private static let transientStates: Set<String> = ["57P01", "57P02", "57P03", "57014", "25006", "40001", "40P01"]

    /// The error that made a transaction fail (postgres-nio wraps it, with the statement).
    static func unwrap(_ error: any Error) -> any Error {
        guard let failed = error as? PostgresTransactionError else { return error }
        return failed.closureError ?? failed.beginError ?? failed.commitError ?? failed.rollbackError ?? error
    }

    /// Whether the error means the database cannot be reached right now.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        let error = unwrap(error)
        if error is StatementTimedOut { return true }
        guard let error = error as? PSQLError else {
            // A socket-level error that reached us unwrapped, or the pool giving up on new
            // connections (its error type lives in a module postgres-nio does not export).
            return error is IOError || error is ChannelError || "\(type(of: error))" == "ConnectionPoolError"
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .sslUnsupported,
            .failedToAddSSLHandler, .messageDecodingFailure, .unexpectedBackendMessage:
            return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("53") || transientStates.contains(state)
        default:
            return false
        }
    }

    /// A one-line description without statement text or bind values.
    static func message(_ error: any Error) -> String {
        let error = unwrap(error)
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "PostgreSQL: \(info[.message] ?? "server error")\(state)"
            }
            // Only socket errors are described: other underlying errors (a decoding failure) carry
            // the raw backend message, which may be a row holding tokens.
            if let underlying = error.underlying, underlying is IOError || underlying is ChannelError {
                return "PostgreSQL \(error.code): \(underlying)"
            }
            return "PostgreSQL: \(error.code)"
        }
        if let error = error as? StatementTimedOut { return error.description }
        if error is IOError || error is ChannelError { return "PostgreSQL connection: \(error)" }
        // Only the type: an unknown error's description might quote a statement or its binds.
        return "PostgreSQL: \(type(of: error))"
    }
}

/// A statement that did not finish within the store's time limit; treated as an outage, since a
/// healthy server answers these short statements in milliseconds.
struct StatementTimedOut: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "PostgreSQL did not answer within \(DurationText.format(limit))" }
}
