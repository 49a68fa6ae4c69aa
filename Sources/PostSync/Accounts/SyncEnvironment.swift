import Foundation
import Logging

/// Receives every finished run; the supervisor, the one writer of the SyncLog, implements it.
public protocol SyncRecorder: Sendable {
    /// Writes the entry (assigning `seq` and `id`) and returns it as written; with a fence, the
    /// database refuses it once another daemon holds the account's lease.
    /// - Throws: `StoreError.leaseLost` when refused (nothing is written then).
    func record(_ entry: SyncLogEntry, fence: LeaseFence?) async throws -> SyncLogEntry
}

extension SyncRecorder {
    /// Writes an entry that needs no fence (one daemon, or the supervisor's own entries).
    public func record(_ entry: SyncLogEntry) async throws -> SyncLogEntry {
        try await record(entry, fence: nil)
    }
}

/// Everything an account actor needs from the daemon, shared by all accounts: one object that
/// every worker refers to (as a struct, each worker held its own copy, about 250 bytes per
/// account).
public final class SyncEnvironment: Sendable {
    /// Settings of one run.
    public struct RunSettings: Sendable, Equatable {
        /// Posts this recent get their metrics refreshed every sync.
        public var lookback: Duration
        /// One run's time limit.
        public var deadline: Duration
        /// Token refresh timing.
        public var tokenPolicy: TokenPolicy

        /// Creates settings.
        public init(lookback: Duration, deadline: Duration, tokenPolicy: TokenPolicy) {
            self.lookback = lookback
            self.deadline = deadline
            self.tokenPolicy = tokenPolicy
        }
    }

    /// The store.
    public let store: any Store
    /// One client per platform.
    public let clients: [Platform: any PlatformClient]
    /// The time source.
    public let clock: any DaemonClock
    /// Daemon-wide cap of runs in flight.
    public let limiter: AsyncSemaphore
    /// Where finished runs go.
    public let recorder: any SyncRecorder
    /// Root logger; actors add `account.id`.
    public let logger: Logger
    /// Told how late each scheduled run started, in seconds (metrics).
    public let observeLateness: (@Sendable (TimeInterval) -> Void)?
    /// The adaptive schedule's daemon-wide budget (nil: each account is planned on its own).
    public let schedule: ScheduleBoard?
    /// The other daemons sharing the database (nil: this daemon is alone, as with SQLite).
    public let cluster: ClusterLink?
    /// Keeps every idle account's next wake-up (one timer, not a sleeping task per account).
    public let wakeTimer: WakeTimer

    /// Creates an environment.
    public init(
        store: any Store, clients: [Platform: any PlatformClient], clock: any DaemonClock, limiter: AsyncSemaphore,
        recorder: any SyncRecorder, logger: Logger, observeLateness: (@Sendable (TimeInterval) -> Void)? = nil,
        schedule: ScheduleBoard? = nil, cluster: ClusterLink? = nil, wakeTimer: WakeTimer? = nil
    ) {
        self.wakeTimer = wakeTimer ?? WakeTimer(clock: clock)
        self.cluster = cluster
        self.schedule = schedule
        self.observeLateness = observeLateness
        self.store = store
        self.clients = clients
        self.clock = clock
        self.limiter = limiter
        self.recorder = recorder
        self.logger = logger
    }
}
