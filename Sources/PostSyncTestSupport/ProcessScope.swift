import Foundation
import Synchronization

/// The one owner of the processes a test starts and the temporary directories it makes: when
/// the scope ends (the body returns, throws, or its task is cancelled) every child still running
/// gets SIGTERM, then SIGKILL after a grace period, and is waited for; then every directory is
/// removed. Should the test process itself die first, `ChildReaper` does the same.
///
/// Use it through `withProcessScope`, `withTemporaryDirectory`, `withDaemonProcess` and
/// `ProcessRunner.run`; there is no unscoped way to start a process in this module.
public final class ProcessScope: Sendable {
    private struct State {
        var children: [RunningProcess] = []
        var directories: [String] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Starts a process owned by this scope, its stdout and stderr captured to files in a
    /// directory of the scope.
    /// - Parameters:
    ///   - executable: Absolute path of the program.
    ///   - arguments: Its arguments.
    ///   - stdin: Text fed to its standard input (then closed).
    ///   - environment: Extra environment variables (the daemon's own are removed first).
    public func start(
        _ executable: String, _ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]
    ) throws -> RunningProcess {
        let directory = try temporaryDirectory("postsync-proc")
        let running = try ProcessRunner.launch(
            executable, arguments, stdin: stdin, environment: environment, outputDirectory: directory)
        ChildReaper.shared?.adopt(running.process.processIdentifier)
        state.withLock { $0.children.append(running) }
        return running
    }

    /// A fresh private temporary directory, removed when the scope ends.
    public func temporaryDirectory(_ prefix: String = "postsync-test") throws -> String {
        let directory = try PostSyncTestSupport.temporaryDirectory(prefix)
        state.withLock { $0.directories.append(directory) }
        return directory
    }

    /// Sends SIGKILL to every child at once (a cancelled scope does not wait for its body to
    /// notice); `end` still waits for them.
    func killAll() {
        for child in state.withLock({ $0.children }) where child.process.isRunning {
            Self.signalGroup(child, SIGKILL)
        }
    }

    /// Ends every child (SIGTERM; SIGKILL for those still running after `grace`), waits until
    /// each is gone, then removes every directory, newest first. Synchronous, so that it can
    /// run from `defer`, and it polls instead of `Task.sleep`, which a cancelled task cannot do.
    func end(grace: Duration = .seconds(3)) {
        let (children, directories) = state.withLock { state in
            defer { state = State() }
            return (state.children, state.directories)
        }
        let running = children.filter(\.process.isRunning)
        for child in running { Self.signalGroup(child, SIGTERM) }
        if !Self.waitUntilExited(running, timeout: grace) {
            for child in running where child.process.isRunning { Self.signalGroup(child, SIGKILL) }
            _ = Self.waitUntilExited(running, timeout: .seconds(10))
        }
        // A child that somehow survived stays registered, so the reaper still gets it.
        for child in children where !child.process.isRunning {
            ChildReaper.shared?.release(child.process.processIdentifier)
        }
        for directory in directories.reversed() {
            try? FileManager.default.removeItem(atPath: directory)
            ChildReaper.shared?.release(directory: directory)
        }
    }

    /// Signals the child's process group: Foundation starts every child as the leader of a
    /// group of its own, and what a script child started is in it too. (That is also why a
    /// Ctrl-C at the terminal never reaches the children, and why Foundation sees a child as
    /// running until every process that inherited its monitoring socket is gone.)
    private static func signalGroup(_ child: RunningProcess, _ number: Int32) {
        let pid = child.process.processIdentifier
        if kill(-pid, number) != 0 { kill(pid, number) }
    }

    private static func waitUntilExited(_ children: [RunningProcess], timeout: Duration) -> Bool {
        let limit = ContinuousClock.now + timeout
        while children.contains(where: \.process.isRunning) {
            guard ContinuousClock.now < limit else { return false }
            usleep(5_000)
        }
        return true
    }
}

/// Runs `body` with a new `ProcessScope` and ends the scope afterwards, also when `body` throws
/// or the task is cancelled (then the children get SIGKILL at once).
public func withProcessScope<T>(
    isolation: isolated (any Actor)? = #isolation, _ body: (ProcessScope) async throws -> T
) async throws -> T {
    let scope = ProcessScope()
    defer { scope.end() }
    return try await withTaskCancellationHandler {
        try await body(scope)
    } onCancel: {
        scope.killAll()
    }
}

/// Runs `body` with a fresh temporary directory and removes it afterwards, however `body` ends.
public func withTemporaryDirectory<T>(
    _ prefix: String = "postsync-test", isolation: isolated (any Actor)? = #isolation,
    _ body: (String) async throws -> T
) async throws -> T {
    try await withProcessScope { scope in try await body(scope.temporaryDirectory(prefix)) }
}

/// A fresh private temporary directory that nothing removes but the reaper, when the test
/// process ends; prefer `withTemporaryDirectory` or `ProcessScope.temporaryDirectory`.
public func temporaryDirectory(_ prefix: String = "postsync-test") throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    ChildReaper.shared?.adopt(directory: path)
    return path
}
