import Foundation
import ServiceLifecycle

/// Pings the supervisor every `Heartbeat.period`, one ping at a time: a hung supervisor holds
/// one ping, never a pile of them, and its heartbeat goes stale (`Supervisor.answers(within:)`).
public struct HeartbeatService: Service {
    let supervisor: Supervisor
    let clock: any DaemonClock

    /// Creates the service.
    public init(supervisor: Supervisor, clock: any DaemonClock) {
        self.supervisor = supervisor
        self.clock = clock
    }

    /// Pings until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await supervisor.ping()
                // Cancelled at shutdown: the loop condition ends it.
                try? await clock.sleep(for: Heartbeat.period)
            }
        }
    }
}
