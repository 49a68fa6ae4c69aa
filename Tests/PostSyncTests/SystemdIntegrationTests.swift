import Foundation
import PostSyncSimulator
import PostSyncTestSupport
import ServiceLifecycle
import Testing

@testable import PostSync

/// `postsync serve` under a fake systemd: a datagram socket as NOTIFY_SOCKET, signals by hand.
@Suite(.serialized) struct SystemdIntegrationTests {
    static let sim = SimulatorConfiguration(seed: 5, instagramAccounts: 1, tiktokAccounts: 1, postsPerAccount: 3)

    /// Should send READY=1, STATUS=, repeated WATCHDOG=1, then STOPPING=1 on SIGTERM, exit 0 and remove the socket.
    @Test func notifyLifecycle() async throws {
        let listener = try NotifyListener()
        let environment = listener.environment.merging(["WATCHDOG_USEC": "300000"]) { $1 }
        try await withDaemonProcess(simulator: Self.sim, environment: environment) { _, daemon in
            let untilReady = listener.receive(until: { $0.contains("READY=1") })
            #expect(untilReady.last?.contains("READY=1") == true, "\(untilReady)")
            var watchdogs = 0
            var statuses: [String] = []
            let limit = ContinuousClock.now + .seconds(10)
            while watchdogs < 3 || statuses.isEmpty, ContinuousClock.now < limit {
                guard let message = listener.receive(timeout: .seconds(2)) else { continue }
                if message.contains("WATCHDOG=1") { watchdogs += 1 }
                if message.hasPrefix("STATUS=") { statuses.append(message) }
            }
            #expect(watchdogs >= 3)
            #expect(statuses.first?.contains("accounts") == true, "\(statuses)")
            daemon.process.signal(SIGTERM)
            let rest = listener.receive(until: { $0.contains("STOPPING=1") })
            #expect(rest.last?.contains("STOPPING=1") == true)
            let output = try await daemon.process.waitForExit()
            #expect(output.status == 0, "\(output.stderr)")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        }
    }

    /// Should stop the watchdog pings while the supervisor does not answer, so that systemd
    /// restarts the process, and resume them when it answers again.
    @Test func hungSupervisorStopsWatchdog() async throws {
        let listener = try NotifyListener()
        let notifier = try #require(SystemdNotifier(environment: listener.environment))
        let clock = ManualClock()
        let harness = try SupervisorHarness(clients: [:], clock: clock)
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        // The watchdog loop runs on real time; the supervisor's heartbeat on the manual clock.
        // Time passing on it with no ping answered is exactly what a stuck executor looks like.
        let service = SystemdService(
            notifier: notifier, readiness: Readiness(listeners: 0), supervisor: harness.supervisor,
            watchdogInterval: .milliseconds(100), statusInterval: .seconds(3600), clock: SystemClock(),
            logger: testLogger())
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], logger: testLogger()))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let pings = listener.receive(until: { $0.contains("WATCHDOG=1") })
            #expect(pings.last?.contains("WATCHDOG=1") == true)
            clock.advance(by: 10)
            // Pings in flight when the heartbeat went stale may still arrive; after that there must be none.
            var lastPing = ContinuousClock.now
            let limit = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < limit {
                if let message = listener.receive(timeout: .milliseconds(100)), message.contains("WATCHDOG=1") {
                    lastPing = ContinuousClock.now
                }
            }
            #expect(ContinuousClock.now - lastPing > .seconds(1), "pings stopped at least 1 s before the end")
            await harness.supervisor.ping()
            let resumed = listener.receive(until: { $0.contains("WATCHDOG=1") })
            #expect(resumed.last?.contains("WATCHDOG=1") == true, "pings resume once the supervisor answers")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Should apply a shorter interval on SIGHUP and reopen a SyncLog that was moved away.
    @Test func sighupReloadsAndReopens() async throws {
        try await withDaemonProcess(simulator: Self.sim, extraYAML: "sync: { interval: 6h, jitter: 0 }") { world, daemon in
            for account in await world.accounts() {
                let body = try String(data: JSONCoding.encoder().encode(account.newAccount), encoding: .utf8)!
                #expect(try await daemon.curl("POST", "/v1/accounts", body: body).status == 201)
            }
            let log = daemon.stateDirectory + "/synclog.jsonl"
            try await eventually("first syncs") {
                try SyncLogReader(directory: daemon.stateDirectory).readAll().entries.count == 2
            }
            try FileManager.default.moveItem(atPath: log, toPath: daemon.stateDirectory + "/moved-away.jsonl")
            var yaml = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            yaml = yaml.replacingOccurrences(of: "interval: 6h", with: "interval: 1s")
            try yaml.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            daemon.process.signal(SIGHUP)
            // With a 1 s interval the schedule runs again, into a new synclog.jsonl, seq continuing.
            try await eventually("scheduled runs after reload") {
                guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return false }
                return text.split(separator: "\n").count >= 2
            }
            let entries = try SyncLogReader(directory: daemon.stateDirectory).readAll().entries
            #expect(entries.first?.seq == 3, "seq continues in the reopened file")
            #expect(entries.allSatisfy { $0.trigger == .schedule })
            #expect(daemon.process.output().stderr.contains("configuration reloaded"))
        }
    }
}
