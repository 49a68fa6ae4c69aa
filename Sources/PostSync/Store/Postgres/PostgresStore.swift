import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The PostgreSQL store (CONTRACT section 9), on postgres-nio's `PostgresClient` and its pool.
/// Same tables as SQLite with PostgreSQL types, in their own schema, plus `sync_log` (see
/// `PostgresStore+SyncLog.swift`) and read-only views for applications.
///
/// An unreachable database is an outage, not a crash: a statement that fails for a connection
/// reason marks `health` unavailable and throws `StoreError.unavailable`; while unavailable,
/// statements fail at once (callers must not hang behind a dead server) and a probe reconnects
/// with backoff, then marks `health` available again.
public final class PostgresStore: Store {
    /// Reachability, shared with the workers, `/healthz` and `status`.
    public let health = DatabaseHealth()
    /// `sync_log`, written with every SyncLog entry.
    public var syncLogTable: (any SyncLogTable)? { self }
    /// The schema (unquoted).
    public let schema: String
    /// The schema as a quoted SQL identifier.
    let s: String
    let client: PostgresClient
    let logger: Logger
    /// How long one statement may take before the database counts as unreachable.
    let statementTimeout: Duration
    private let runner: Task<Void, Never>
    private let probe = Locked<Task<Void, Never>?>(nil)
    private let watch = Locked<Task<Void, Never>?>(nil)
    /// How often the watch asks an idle database whether it is there, and how long it waits.
    static let watchInterval: Duration = .seconds(1)
    static let watchTimeout: Duration = .seconds(3)

    private init(client: PostgresClient, schema: String, statementTimeout: Duration, logger: Logger) {
        self.client = client
        self.schema = schema
        self.s = Self.quote(schema)
        self.statementTimeout = statementTimeout
        self.logger = logger
        runner = Task { await client.run() }
    }

    /// Connects, creates the schema if missing and migrates it.
    /// - Parameters:
    ///   - settings: The `database` section (its `url` must be set).
    ///   - statementTimeout: The time limit of one statement.
    ///   - logger: For connection and migration messages (statements are never logged).
    /// - Throws: `StoreError.unavailable` when the server cannot be reached,
    ///   `StoreError.schemaTooNew`, or `StoreError.database`.
    public static func open(
        _ settings: Configuration.Database, statementTimeout: Duration = .seconds(15), logger: Logger
    ) async throws -> PostgresStore {
        guard let url = settings.url else { throw StoreError.database("database.url is not set") }
        let client = PostgresClient(configuration: clientConfiguration(url, settings), backgroundLogger: logger)
        let store = PostgresStore(client: client, schema: settings.schema, statementTimeout: statementTimeout, logger: logger)
        do {
            let version = try await store.timed {
                try await client.withConnection { connection in
                    try await PostgresMigrations.migrate(connection, schema: settings.schema, logger: logger)
                }
            }
            store.startWatch()
            logger.info(
                "database ready",
                metadata: ["db.url": "\(url)", "db.schema": "\(settings.schema)", "db.version": "\(version)"])
            return store
        } catch {
            await store.close()
            let error = PostgresFailure.unwrap(error)
            if let error = error as? StoreError { throw error }
            if PostgresFailure.isConnectionLoss(error) { throw StoreError.unavailable(PostgresFailure.message(error)) }
            throw StoreError.database(PostgresFailure.message(error))
        }
    }

    /// postgres-nio's configuration for a `database` section.
    static func clientConfiguration(_ url: DatabaseURL, _ settings: Configuration.Database) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        let password = settings.password?.value
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: password, database: url.database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch settings.tls {
            case .disable:
                tls = .disable
            case .prefer:
                var unverified = TLSConfiguration.makeClientConfiguration()
                unverified.certificateVerification = .none
                tls = .prefer(unverified)
            case .require:
                tls = .require(.makeClientConfiguration())
            }
            configuration = .init(
                host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: tls)
        }
        configuration.options.maximumConnections = settings.maxConnections
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", "postsync")]
        return configuration
    }

    /// A batch as the JSON array that `jsonb_to_recordset` reads, keys in the columns' snake_case.
    static func snakeCaseJSON(_ rows: some Encodable) throws -> Data {
        let encoder = JSONCoding.encoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(rows)
    }

    /// A schema name as a quoted SQL identifier (the loader only accepts `[a-z_][a-z0-9_]*`).
    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Stops the probe and the pool.
    public func close() async {
        watch.withLock { $0?.cancel() }
        probe.withLock { $0?.cancel() }
        runner.cancel()
        _ = await runner.value
    }

    // MARK: - Running statements

    /// Runs `body` against the database: fails at once while an outage is known, applies the
    /// statement time limit, and turns a connection failure into an outage.
    /// - Throws: `StoreError.unavailable`, `StoreError.database`, or what `body` throws itself.
    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        if !health.isAvailable { throw StoreError.unavailable(health.reason ?? "reconnecting") }
        do {
            return try await timed { try await body(self.client) }
        } catch {
            // What a transaction's closure threw arrives wrapped; our own errors pass through.
            let error = PostgresFailure.unwrap(error)
            if let error = error as? StoreError { throw error }
            if error is CancellationError { throw error }
            if PostgresFailure.isConnectionLoss(error) {
                let message = PostgresFailure.message(error)
                beginOutage(message)
                throw StoreError.unavailable(message)
            }
            throw StoreError.database(PostgresFailure.message(error))
        }
    }

    /// Runs `body` in one transaction (BEGIN … COMMIT, rolled back when it throws).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await perform { client in
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// `body` within `statementTimeout` of real time (not the daemon's clock: tests run that
    /// one by hand). The caller gets its answer, `StatementTimedOut` or `CancellationError` on
    /// time even when `body` does not end: a statement already sent cannot be cancelled in
    /// postgres-nio, and a server that stopped answering (a partition) would otherwise hold the
    /// caller forever. Such a statement may still complete later; every write here is
    /// idempotent or re-checked, so a late commit is harmless.
    func timed<T: Sendable>(limit: Duration? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = limit ?? statementTimeout
        let race = TimedRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                race.start(continuation, limit: limit, body)
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// Asks the database every `watchInterval` whether it is there, so that an outage shows
    /// (`/healthz`, `status`) and stops new runs within seconds, before a run's platform calls
    /// rather than at its first statement after them.
    private func startWatch() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.watchInterval)
                guard let self, self.health.isAvailable else { continue }
                do {
                    _ = try await self.timed(limit: Self.watchTimeout) { try await self.client.query("SELECT 1").collect().count }
                } catch {
                    if !Task.isCancelled, PostgresFailure.isConnectionLoss(error) {
                        self.beginOutage(PostgresFailure.message(error))
                    }
                }
            }
        }
        watch.withLock { $0 = task }
    }

    /// Marks the outage and starts the reconnect probe (once per outage).
    private func beginOutage(_ message: String) {
        guard health.markUnavailable(message) else { return }
        logger.error("database unavailable; reconnecting", metadata: ["error": "\(message)"])
        let health = self.health
        let client = self.client
        let logger = self.logger
        let limit = statementTimeout
        let task = Task { [weak self] in
            var delay = Duration.milliseconds(250)
            while !Task.isCancelled {
                try? await Task.sleep(for: delay)
                let answered = try? await self?.timed(limit: min(limit, Self.watchTimeout)) {
                    _ = try await client.query("SELECT 1").collect()
                    return true
                }
                if answered == true {
                    health.markAvailable()
                    logger.notice("database available again")
                    return
                }
                delay = min(delay * 2, .seconds(5))
            }
        }
        probe.withLock { $0 = task }
    }
}

/// The first of a statement's result, its time limit and the caller's cancellation, delivered
/// once to the caller (`PostgresStore.timed`); the losers are cancelled.
private final class TimedRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var finished: Result<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }

    private let state = Locked(State())

    func start(
        _ continuation: CheckedContinuation<T, any Error>, limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) {
        let early = state.withLock { state -> Result<T, any Error>? in
            if let finished = state.finished { return finished }
            state.continuation = continuation
            return nil
        }
        if let early {
            continuation.resume(with: early)
            return
        }
        let work = Task {
            do { self.finish(.success(try await body())) } catch { self.finish(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { self.finish(.failure(StatementTimedOut(limit: limit))) }
        }
        let cancelled = state.withLock { state -> Bool in
            state.work = work
            state.timer = timer
            return state.finished != nil
        }
        if cancelled {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, work, timer) = state.withLock { state in
            guard state.finished == nil else {
                return (nil, nil, nil) as (CheckedContinuation<T, any Error>?, Task<Void, Never>?, Task<Void, Never>?)
            }
            state.finished = result
            defer { state.continuation = nil }
            return (state.continuation, state.work, state.timer)
        }
        continuation?.resume(with: result)
        work?.cancel()
        timer?.cancel()
    }
}
