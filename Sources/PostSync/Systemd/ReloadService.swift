import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads the configuration and applies what can change live (schedule, limits,
/// secrets), reopens the SyncLog (after an external logrotate), and names in a log line what
/// needs a restart. Tells systemd `RELOADING=1` … `READY=1` around it.
public struct ReloadService: Service {
    let daemon: Daemon
    let notifier: SystemdNotifier?
    let hangOnSIGUSR1: Bool

    /// Creates the service.
    /// - Parameter hangOnSIGUSR1: Test hook: SIGUSR1 hangs the supervisor (watchdog tests).
    public init(daemon: Daemon, notifier: SystemdNotifier?, hangOnSIGUSR1: Bool = false) {
        self.daemon = daemon
        self.notifier = notifier
        self.hangOnSIGUSR1 = hangOnSIGUSR1
    }

    /// Waits for signals until graceful shutdown.
    public func run() async throws {
        var signals: [UnixSignal] = [.sighup]
        if hangOnSIGUSR1 { signals.append(.sigusr1) }
        let sequence = await UnixSignalsSequence(trapping: signals)
        for await signal in sequence.cancelOnGracefulShutdown() {
            if signal == .sigusr1 {
                let supervisor = daemon.supervisor
                // Detached on purpose: the hang must not block this loop.
                Task { await supervisor.hangForTesting() }
                continue
            }
            notifier?.reloading()
            await daemon.reload()
            notifier?.ready()
        }
    }
}
