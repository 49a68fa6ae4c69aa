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

    /// Creates the service.
    public init(daemon: Daemon, notifier: SystemdNotifier?) {
        self.daemon = daemon
        self.notifier = notifier
    }

    /// Waits for signals until graceful shutdown.
    public func run() async throws {
        let sequence = await UnixSignalsSequence(trapping: .sighup)
        for await _ in sequence.cancelOnGracefulShutdown() {
            notifier?.reloading()
            await daemon.reload()
            notifier?.ready()
        }
    }
}
