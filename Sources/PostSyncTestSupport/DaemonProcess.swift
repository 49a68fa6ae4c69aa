import Foundation
import PostSync

/// `postsync serve` as a subprocess on a temporary state directory, pointed at a simulator.
public struct DaemonProcess: Sendable {
    /// The state directory.
    public let stateDirectory: String
    /// The config file.
    public let configPath: String
    /// The control socket.
    public var socketPath: String { stateDirectory + "/control.sock" }
    /// The running daemon.
    public let process: RunningProcess

    /// Writes a config for the simulator at `simulatorURL` (plus `extraYAML`) and starts the daemon.
    /// - Parameter stateDirectory: Reuse a state directory (a restart); a fresh one when nil.
    public static func start(
        simulatorURL: String, extraYAML: String = "", stateDirectory: String? = nil, environment: [String: String] = [:]
    ) async throws -> DaemonProcess {
        let directory = try stateDirectory ?? temporaryDirectory("postsync-daemon")
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
              listen: "off"
            \(extraYAML)
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let process = try ProcessRunner.start(
            ProcessRunner.postsync, ["serve", "--config", config, "--state-dir", directory, "--log-level", "debug"],
            environment: environment)
        let daemon = DaemonProcess(stateDirectory: directory, configPath: config, process: process)
        do {
            try await eventually("control socket") {
                if !process.process.isRunning { throw TimedOut(what: "daemon exited: \(process.output().stderr)") }
                return UnixSocketProbe.answers(daemon.socketPath)
            }
        } catch {
            process.process.terminate()
            throw error
        }
        return daemon
    }

    /// Runs a `postsync` client command against this daemon.
    public func cli(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> ProcessRunner.Output {
        try await ProcessRunner.run(
            ProcessRunner.postsync, arguments + ["--state-dir", stateDirectory], stdin: stdin, environment: environment)
    }

    /// `curl --unix-socket` one request; stdout holds the body, the last line the status code.
    public func curl(_ method: String, _ path: String, body: String? = nil) async throws -> (status: Int, body: String) {
        var arguments = ["-s", "-S", "--unix-socket", socketPath, "-X", method, "-w", "\n%{http_code}", "http://localhost" + path]
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
