import Foundation

/// Runs the built `postsync` binary (and other tools) as subprocesses, the way operators do.
public enum ProcessRunner {
    /// The result of a finished process.
    public struct Output: Sendable {
        /// Exit status.
        public var status: Int32
        /// Everything written to stdout.
        public var stdout: String
        /// Everything written to stderr.
        public var stderr: String
    }

    /// The `postsync` binary next to the test bundle (SwiftPM builds it with the tests).
    public static var postsync: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // The test bundle may sit inside `postsyncPackageTests.xctest/`.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("postsync").path
    }

    /// Runs a command to completion in a scope of its own: killed on timeout or cancellation,
    /// its output files removed afterwards.
    /// - Parameters:
    ///   - executable: Absolute path of the program.
    ///   - arguments: Its arguments.
    ///   - stdin: Text fed to its standard input.
    ///   - environment: Extra environment variables.
    ///   - timeout: Kill it after this long.
    public static func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(60)
    ) async throws -> Output {
        try await withProcessScope { scope in
            let process = try scope.start(executable, arguments, stdin: stdin, environment: environment)
            let limit = ContinuousClock.now + timeout
            while process.process.isRunning {
                if ContinuousClock.now > limit {
                    throw TimedOut(what: "\(executable) \(arguments.joined(separator: " "))")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            return process.output()
        }
    }

    /// Starts a process with stdout and stderr captured to files in `outputDirectory`; only
    /// `ProcessScope.start` calls this, so that every child has an owner.
    static func launch(
        _ executable: String, _ arguments: [String], stdin: String?, environment: [String: String],
        outputDirectory directory: String
    ) throws -> RunningProcess {
        let out = directory + "/stdout"
        let err = directory + "/stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["POSTSYNC_CONFIG", "POSTSYNC_STATE_DIR", "POSTSYNC_SOCKET", "STATE_DIRECTORY", "NOTIFY_SOCKET"] {
            env.removeValue(forKey: key)
        }
        env.merge(environment) { $1 }
        process.environment = env
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        return RunningProcess(process: process, stdoutPath: out, stderrPath: err)
    }
}

/// A started subprocess.
public struct RunningProcess: @unchecked Sendable {
    /// The process.
    public let process: Process
    /// Where its stdout goes.
    public let stdoutPath: String
    /// Where its stderr goes.
    public let stderrPath: String

    /// What it has written so far.
    public func output() -> ProcessRunner.Output {
        ProcessRunner.Output(
            status: process.isRunning ? -1 : process.terminationStatus,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    /// Sends a signal.
    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit (polling with a deadline) and returns the output.
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> ProcessRunner.Output {
        try await eventually("process exit", timeout: timeout) { !process.isRunning }
        return output()
    }
}
