import Foundation
import PostSync
import PostSyncSimulator

/// `postsync serve` as a subprocess on a temporary state directory, pointed at a simulator.
/// Only `withDaemonProcess` makes one, so that the daemon always has an owner: the scope that
/// ends it and removes its directory.
public struct DaemonProcess: Sendable {
    /// The state directory.
    public let stateDirectory: String
    /// The config file.
    public let configPath: String
    /// The simulator the config points at.
    public let simulatorURL: String
    /// The control socket.
    public var socketPath: String { stateDirectory + "/control.sock" }
    /// The running daemon.
    public let process: RunningProcess
    /// The scope that owns the daemon; other processes of the test (a `logs -f`) can be started
    /// in it, to be ended with the daemon.
    public let scope: ProcessScope

    /// Runs a `postsync` client command against this daemon.
    public func cli(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws
        -> ProcessRunner.Output
    {
        try await ProcessRunner.run(
            ProcessRunner.postsync, arguments + ["--state-dir", stateDirectory], stdin: stdin, environment: environment)
    }

    /// `curl --unix-socket` one request; stdout holds the body, the last line the status code.
    public func curl(_ method: String, _ path: String, body: String? = nil) async throws -> (status: Int, body: String) {
        var arguments = [
            "-s", "-S", "--unix-socket", socketPath, "-X", method, "-w", "\n%{http_code}", "http://localhost" + path,
        ]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let output = try await ProcessRunner.run("/usr/bin/env", ["curl"] + arguments)
        var lines = output.stdout.components(separatedBy: "\n")
        let status = Int(lines.removeLast()) ?? -1
        return (status, lines.joined(separator: "\n"))
    }

    /// SIGTERM and wait: returns the daemon's exit status and output.
    public func stop() async throws -> ProcessRunner.Output {
        process.signal(SIGTERM)
        return try await process.waitForExit()
    }
}

/// Writes a config for the simulator at `simulatorURL` (plus `extraYAML`), starts the daemon,
/// waits for its control socket and runs `body`; then ends the daemon (SIGTERM, SIGKILL after a
/// grace period) unless `body` stopped it, and removes its directory, however `body` ends.
/// - Parameters:
///   - stateDirectory: Reuse a state directory (a restart; it stays where it is); a fresh one
///     when nil. The config is written next to it, as `<stateDirectory>.yaml`.
///   - httpListen: `http.listen` (off unless a test needs the listener).
public func withDaemonProcess<T>(
    simulatorURL: String, extraYAML: String = "", stateDirectory: String? = nil, httpListen: String = "off",
    environment: [String: String] = [:], isolation: isolated (any Actor)? = #isolation,
    _ body: (DaemonProcess) async throws -> T
) async throws -> T {
    try await withProcessScope { scope in
        // The config and the files a test puts beside the state directory (`<state>.refresh`)
        // all stay inside the scope's directory.
        let directory = try stateDirectory ?? scope.temporaryDirectory("postsync-daemon") + "/state"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + ".yaml"
        let yaml = """
            instagram:
              graph_url: \(simulatorURL)
              facebook_graph_url: \(simulatorURL)
            tiktok:
              api_url: \(simulatorURL)
              client_key: sim-client-key
              client_secret: sim-client-secret
            http:
              listen: "\(httpListen)"
            \(extraYAML)
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let process = try scope.start(
            ProcessRunner.postsync, ["serve", "--config", config, "--state-dir", directory, "--log-level", "debug"],
            environment: environment)
        let daemon = DaemonProcess(
            stateDirectory: directory, configPath: config, simulatorURL: simulatorURL, process: process, scope: scope)
        try await eventually("control socket") {
            if !process.process.isRunning { throw TimedOut(what: "daemon exited: \(process.output().stderr)") }
            return UnixSocketProbe.answers(daemon.socketPath)
        }
        return try await body(daemon)
    }
}

/// A simulator on a free port and a daemon pointed at it, for the duration of `body`; both end
/// (and the daemon's directory goes) however `body` ends.
public func withDaemonProcess<T: Sendable>(
    simulator: SimulatorConfiguration, extraYAML: String = "", environment: [String: String] = [:],
    _ body: @Sendable (SimulatorWorld, DaemonProcess) async throws -> T
) async throws -> T {
    try await SimulatorHarness.with(simulator) { world, url in
        try await withDaemonProcess(simulatorURL: url, extraYAML: extraYAML, environment: environment) { daemon in
            try await body(world, daemon)
        }
    }
}
