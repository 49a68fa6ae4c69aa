import Foundation
import Logging
import PostSync

/// A supervisor over a temporary state directory, with injected clients and clock, running in
/// the background for the duration of a test body.
public struct SupervisorHarness: Sendable {
    /// The state directory.
    public let directory: String
    /// The store.
    public let store: any Store
    /// The supervisor under test.
    public let supervisor: Supervisor
    /// The SyncLog writer.
    public let syncLog: SyncLogWriter
    /// Whether `run` removes `directory` when it ends (the harness made it).
    private let ownsDirectory: Bool

    /// Default settings for tests: 15 min interval, no jitter, 30 s–30 min backoff.
    public static func settings(
        interval: Duration = .seconds(900), jitter: Double = 0, deadline: Duration = .seconds(55),
        restartMax: Int = 2, restartWithin: Duration = .seconds(60)
    ) -> Supervisor.Settings {
        Supervisor.Settings(
            schedule: .init(interval: interval, jitter: jitter, backoff: Backoff(min: .seconds(30), max: .seconds(1800))),
            run: .init(
                lookback: .seconds(30 * 86_400), deadline: deadline,
                tokenPolicy: TokenPolicy(instagramRefreshBefore: .seconds(7 * 86_400), tiktokRefreshBefore: .seconds(600))),
            restartMax: restartMax, restartWithin: restartWithin)
    }

    /// Creates the harness (nothing runs until `run`).
    /// - Parameter directory: A state directory to use (and leave); a fresh one, removed when
    ///   `run` ends, when nil.
    public init(
        clients: [Platform: any PlatformClient], clock: any DaemonClock, settings: Supervisor.Settings = Self.settings(),
        maxConcurrent: Int = 4, directory: String? = nil
    ) throws {
        ownsDirectory = directory == nil
        let directory = try directory ?? temporaryDirectory()
        self.directory = directory
        store = try SQLiteStore(path: directory + "/postsync.sqlite")
        syncLog = try SyncLogWriter(directory: directory, maxBytes: 1 << 20, keep: 3, fsync: .never)
        supervisor = Supervisor(
            store: store, recorder: SyncLogRecorder(writer: syncLog), clients: clients, settings: settings,
            maxConcurrent: maxConcurrent,
            clock: clock, seed: 42, logger: testLogger())
    }

    /// Runs the supervisor while `body` runs, then shuts it down gracefully and waits for it;
    /// removes the state directory afterwards when the harness made it (so run it once).
    public func run<T: Sendable>(_ body: @Sendable (SupervisorHarness) async throws -> T) async throws -> T {
        defer { if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) } }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await supervisor.run() }
            do {
                let result = try await body(self)
                supervisor.beginShutdown()
                try await group.waitForAll()
                return result
            } catch {
                supervisor.beginShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// Every SyncLog entry written so far.
    public func entries() throws -> [SyncLogEntry] {
        try SyncLogReader(directory: directory).readAll().entries
    }

    /// Entries of one account.
    public func entries(_ id: AccountID) throws -> [SyncLogEntry] {
        try entries().filter { $0.accountId == id.description }
    }
}

extension AccountRecord {
    /// A test account with a token that does not need refreshing.
    public static func test(_ platform: Platform, _ external: String, at now: Date, autoSync: Bool = true) -> AccountRecord {
        AccountRecord(
            id: AccountID(platform: platform, externalID: external), login: platform == .instagram ? .instagram : nil,
            autoSync: autoSync, accessToken: "token-\(external)", refreshToken: platform == .tiktok ? "refresh-\(external)" : nil,
            tokenExpiresAt: now.addingTimeInterval(30 * 86_400), tokenRefreshedAt: now, createdAt: now)
    }
}

/// A silent logger, or one that writes to stderr at debug level when `POSTSYNC_TEST_LOG` is set.
public func testLogger() -> Logger {
    if ProcessInfo.processInfo.environment["POSTSYNC_TEST_LOG"] != nil {
        return Logger(label: "test") { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace
            return handler
        }
    }
    return Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
}
