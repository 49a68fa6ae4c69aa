import Foundation
import Logging
import ServiceLifecycle

/// Talks to systemd for the daemon (reference/anchors.md C.1–C.2): `READY=1` once the store is
/// open and the listeners are bound, `STATUS=` with a one-line summary whenever it changes,
/// `WATCHDOG=1` every `WATCHDOG_USEC/2` **only while the supervisor answers** (a hung supervisor
/// gets the process restarted), `STOPPING=1` on shutdown. Without `NOTIFY_SOCKET` it does nothing
/// but wait for shutdown. Its loops sleep on the injected clock.
public struct SystemdService: Service {
    let notifier: SystemdNotifier?
    let readiness: Readiness
    let supervisor: Supervisor
    let watchdogInterval: Duration?
    let statusInterval: Duration
    let clock: any DaemonClock
    let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - notifier: nil when not under systemd.
    ///   - readiness: Fulfilled once every listener is bound.
    ///   - supervisor: Whose health gates the watchdog and whose accounts the status line counts.
    ///   - watchdogInterval: How often to ping (half of `WATCHDOG_USEC`), nil without a watchdog.
    ///   - statusInterval: How often the status line is recomputed.
    ///   - clock: The time source of both loops.
    public init(
        notifier: SystemdNotifier?, readiness: Readiness, supervisor: Supervisor, watchdogInterval: Duration?,
        statusInterval: Duration = .seconds(5), clock: any DaemonClock, logger: Logger
    ) {
        self.notifier = notifier
        self.readiness = readiness
        self.supervisor = supervisor
        self.watchdogInterval = watchdogInterval
        self.statusInterval = statusInterval
        self.clock = clock
        self.logger = logger
    }

    /// `N accounts: S syncing, F failing, R need re-auth, Q quarantined`, for `STATUS=`.
    public static func statusLine(_ counts: [AccountState: Int]) -> String {
        let total = counts.values.reduce(0, +)
        return "\(total) accounts: \(counts[.syncing] ?? 0) syncing, \(counts[.backoff] ?? 0) failing, "
            + "\(counts[.needsReauth] ?? 0) need re-auth, \(counts[.quarantined] ?? 0) quarantined"
    }

    /// Runs until graceful shutdown.
    public func run() async throws {
        guard let notifier else {
            try? await gracefulShutdown()
            return
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await readiness.ready.value
                    notifier.ready()
                    logger.info("ready")
                    await statusLoop(notifier)
                }
                if let watchdogInterval {
                    group.addTask { await watchdogLoop(notifier, every: watchdogInterval) }
                }
                try? await gracefulShutdown()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            notifier.stopping()
        }
    }

    private func statusLoop(_ notifier: SystemdNotifier) async {
        var last = ""
        while !Task.isCancelled {
            if let counts = await supervisor.accountStates() {
                let line = Self.statusLine(counts)
                if line != last {
                    notifier.status(line)
                    last = line
                }
            }
            try? await clock.sleep(for: statusInterval)
        }
    }

    private func watchdogLoop(_ notifier: SystemdNotifier, every interval: Duration) async {
        var pinging = true
        while !Task.isCancelled {
            // Never ping on behalf of a supervisor that does not answer: systemd must restart us.
            if await supervisor.answers(within: min(interval, .seconds(5))) {
                notifier.watchdog()
                if !pinging { logger.notice("supervisor answers again; watchdog pings resumed") }
                pinging = true
            } else if pinging {
                logger.error("supervisor does not answer; watchdog pings stopped")
                pinging = false
            }
            try? await clock.sleep(for: interval)
        }
    }
}

/// Counts listeners that still have to bind; `ready` is fulfilled when none is left.
public final class Readiness: Sendable {
    private let remaining: Locked<Int>
    /// Fulfilled once every listener marked itself ready.
    public let ready = Promise<Void>()

    /// Expects `listeners` calls of `mark()`.
    public init(listeners: Int) {
        remaining = Locked(listeners)
        if listeners <= 0 { ready.fulfill(()) }
    }

    /// One listener is bound.
    public func mark() {
        let done = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        if done { ready.fulfill(()) }
    }
}
