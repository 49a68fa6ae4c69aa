import Foundation
import PostSyncTestSupport
import ServiceLifecycle
import Testing

@testable import PostSync

/// What only the control socket itself shows, on an in-process `ControlServer`: the file mode,
/// `curl --unix-socket`, a body over 1 MiB on a real connection, the file's removal at shutdown.
/// The routes' answers are `ControlRouterTests`' business; the daemon binary's are
/// `ControlSocketTests`'.
@Suite struct ControlServerSocketTests {
    /// `curl --unix-socket` one request, with the body read from a file (a 1 MiB argument would
    /// exceed what one command-line argument may hold).
    static func curl(_ socket: String, _ method: String, _ path: String, bodyFile: String? = nil) async throws -> (
        status: Int, body: String
    ) {
        var arguments = [
            "curl", "-s", "-S", "--unix-socket", socket, "-X", method, "-w", "\n%{http_code}", "http://localhost" + path,
        ]
        if let bodyFile { arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + bodyFile] }
        let output = try await ProcessRunner.run("/usr/bin/env", arguments)
        var lines = output.stdout.components(separatedBy: "\n")
        let status = Int(lines.removeLast()) ?? -1
        return (status, lines.joined(separator: "\n"))
    }

    /// Serves a fresh supervisor's control API on `<dir>/control.sock` (mode 0600) for `body`,
    /// then shuts the server down gracefully, however `body` ends, and expects the socket file
    /// to be gone afterwards.
    static func withServer(
        idleTimeout: Duration = .seconds(60), _ body: @escaping @Sendable (SupervisorHarness, String) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let harness = try SupervisorHarness(clients: [.instagram: FakePlatformClient()], clock: clock)
        let socket = harness.directory + "/control.sock"
        try await harness.run { h in
            let api = ControlAPI(
                supervisor: h.supervisor, store: h.store, syncLog: h.syncLog, clock: clock, startedAt: clock.now,
                logger: testLogger())
            let ready = Promise<Void>()
            let server = ControlServer(
                api: api, path: socket, mode: 0o600, logger: testLogger(), onReady: { ready.fulfill(()) },
                idleTimeout: idleTimeout)
            let group = ServiceGroup(configuration: .init(services: [.init(service: server)], logger: testLogger()))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let outcome: Result<Void, any Error>
                do {
                    await ready.value
                    try await body(h, socket)
                    outcome = .success(())
                } catch {
                    outcome = .failure(error)
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                try outcome.get()
            }
            #expect(!FileManager.default.fileExists(atPath: socket), "socket removed at shutdown")
        }
    }

    /// Should create the socket with the configured mode, answer curl over it, answer a body over
    /// 1 MiB with 413 `too_large` and then still serve, and remove the socket file at shutdown.
    @Test func socketModeCurlAndTooLarge() async throws {
        try await Self.withServer { h, socket in
            let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
            #expect(mode == 0o600, "control.mode")

            let status = try await Self.curl(socket, "GET", "/v1/status")
            #expect(status.status == 200 && status.body.contains("\"version\""), "\(status)")

            let big = h.directory + "/big.json"
            try Data(repeating: 0x20, count: (1 << 20) + 1).write(to: URL(fileURLWithPath: big))
            let refused = try await Self.curl(socket, "POST", "/v1/accounts", bodyFile: big)
            #expect(refused.status == 413, "\(refused)")
            #expect(refused.body.contains(#""code":"too_large""#), "\(refused.body)")

            let unknown = try await Self.curl(socket, "GET", "/v2/nothing")
            #expect(unknown.status == 404 && unknown.body.contains(#""code":"not_found""#))
            let accounts = try await Self.curl(socket, "GET", "/v1/accounts")
            #expect(accounts.status == 200 && accounts.body == "[]\n", "still serving after a 413")
        }
    }

    /// Should close a connection that sends no request within the idle timeout, but never a
    /// `logs -f` stream that is quiet for longer.
    @Test func idleConnectionsCloseButFollowStreamsStay() async throws {
        try await Self.withServer(idleTimeout: .milliseconds(500)) { h, socket in
            // A client that connects and says nothing sees the end of the stream (python3:
            // a blocking read here would hold one of the test pool's few threads).
            let idle = try await ProcessRunner.run(
                "/usr/bin/env",
                [
                    "python3", "-c",
                    """
                    import socket, sys, time
                    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10); t = time.time()
                    print(repr(s.recv(1)), round(time.time() - t, 1))
                    """, socket,
                ])
            let answer = idle.stdout.split(separator: " ")
            #expect(answer.first == "b''", "closed by the server: \(idle.stdout)\(idle.stderr)")
            #expect((Double(answer.last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99) < 5)
            // A follow stream with nothing to say for 2 s (4 idle periods) is still open when curl gives up.
            let follow = try await ProcessRunner.run(
                "/usr/bin/env",
                ["curl", "-s", "-N", "--max-time", "2", "--unix-socket", socket, "http://localhost/v1/logs?follow=true"])
            #expect(follow.status == 28, "curl timed out, the stream was not cut: \(follow.status)")
            // A follower whose client left ends with the SyncLog (as at the daemon's shutdown).
            await h.syncLog.close()
        }
    }
}
