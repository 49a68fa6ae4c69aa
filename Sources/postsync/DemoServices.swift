import Foundation
import PostSync
import PostSyncSimulator
import ServiceLifecycle

/// Runs the simulator's server until cancelled, reporting its port.
struct SimulatorService: Sendable {
    let server: SimulatorServer
    let ready: Promise<Int>

    func runAlone() async throws {
        try await server.run { port in ready.fulfill(port) }
    }
}

/// Prints every SyncLog entry as it is written.
struct DemoPrinter: Service {
    let syncLog: SyncLogWriter
    let style: TerminalStyle

    func run() async throws {
        let subscription = await syncLog.subscribe()
        for await event in subscription.stream.cancelOnGracefulShutdown() {
            if case .entry(let entry) = event { Output.line(LogLine.render(entry, style: style)) }
        }
    }
}

/// Publishes a post on a random sample account every few seconds.
struct DemoPublisher: Service {
    let world: SimulatorWorld
    let every: Duration
    let style: TerminalStyle

    func run() async throws {
        var generator = SystemRandomNumberGenerator()
        while !Task.isCancelledOrShuttingDown {
            try? await Task.sleep(for: every)
            guard !Task.isCancelledOrShuttingDown else { return }
            let accounts = await world.accounts()
            guard let account = accounts.randomElement(using: &generator),
                let post = await world.publishPost(platform: account.platform, externalId: account.externalId)
            else { continue }
            Output.line(
                style.paint("  + \(account.platform):\(account.externalId) published post \(post.id) (webhook sent)", .muted))
        }
    }
}

/// Ends the demo after `--duration`, if given.
struct DemoTimer: Service {
    let duration: Duration?

    func run() async throws {
        guard let duration else {
            try? await gracefulShutdown()
            return
        }
        try? await Task.sleep(for: duration)
    }
}

extension Task where Success == Never, Failure == Never {
    /// Cancelled, or the service group is shutting down.
    static var isCancelledOrShuttingDown: Bool { isCancelled || isShuttingDownGracefully }
}
