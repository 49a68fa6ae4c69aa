import Foundation
import PostSync
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A private, throwaway PostgreSQL server, for a test that stops and restarts the server under a
/// running daemon (the outage test) without disturbing the shared server of
/// `scripts/with-postgres.sh` (`PostgresTestEnvironment.url`) that other tests use in parallel.
///
/// `start()` runs `initdb` into a fresh `postsync-pg-<UUID>` temporary directory (role
/// `postsync`, trust authentication, UTF-8, C locale), starts the server with `pg_ctl` on a free
/// loopback port with the settings of `scripts/with-postgres.sh` (no fsync: the cluster is thrown
/// away) and creates the database `postsync`. initdb and the server refuse to run as root, so as
/// root every server tool runs as the `postgres` user, through `runuser`.
///
/// The server daemonizes, so no `ProcessScope` owns it: `remove()` (or `withPostgresTestServer`,
/// which always calls it) ends it and removes the directory. Both the directory and the server's
/// PID are registered with `ChildReaper`, so that a test that forgets is cleaned up after (and
/// reported, on CI) when the test process ends.
public final class PostgresTestServer: Sendable {
    /// No server can be started here: no server binaries, or root without a `postgres` user. A
    /// test skips on it, unless `PostgresTestEnvironment.required`.
    public struct Unavailable: Error, CustomStringConvertible {
        /// Why.
        public var reason: String
        /// Creates the error.
        public init(_ reason: String) { self.reason = reason }
        /// A message.
        public var description: String { "no PostgreSQL test server: \(reason)" }
    }

    /// A server tool failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed.
        public var what: String
        /// What the tool printed, and the end of the server's log.
        public var details: String
        /// A message.
        public var description: String { details.isEmpty ? what : "\(what)\n\(details)" }
    }

    /// `postgres://postsync@127.0.0.1:PORT/postsync`.
    public let url: String
    /// The loopback port; `restart()` keeps it.
    public let port: Int
    /// The temporary directory: `data` (the cluster), `socket` (its Unix socket), `server.log`.
    public let directory: String

    /// Where initdb, pg_ctl, postgres and createdb are.
    private let binaries: String
    /// Whether the server tools run as the `postgres` user (we are root).
    private let asPostgres: Bool
    private let state = Mutex(State())

    private struct State {
        /// The server, from its start until `stop()` or `remove()`.
        var server: ServerProcess?
        var removed = false
    }

    /// The postmaster, named by its PID and its start time so that a recycled PID is never signalled.
    private struct ServerProcess {
        var pid: Int32
        var started: String
    }

    private static let runuser = "/usr/sbin/runuser"

    /// Runs its arguments from `/` (the test's working directory may be closed to `postgres`) with
    /// no descriptor beyond stdin, stdout and stderr, and waits for them. Why: Foundation learns
    /// that a child has ended when the socket it hands the child (its descriptor 3 or so) reaches
    /// end of file, so a server that `pg_ctl start` leaves running, having inherited it, would
    /// keep `pg_ctl` "running" for as long as the server runs. This outer shell keeps the socket,
    /// so that the tool's end is still seen when the tool ends.
    private static let detached = #"""
        cd / || exit 1
        ( for fd in /proc/self/fd/*; do fd=${fd##*/}; [ "$fd" -le 2 ] || exec {fd}>&-; done; exec "$@" )
        """#

    private init(directory: String, port: Int, binaries: String, asPostgres: Bool) {
        self.directory = directory
        self.port = port
        self.binaries = binaries
        self.asPostgres = asPostgres
        url = "postgres://postsync@127.0.0.1:\(port)/postsync"
    }

    private var dataDirectory: String { directory + "/data" }
    private var logPath: String { directory + "/server.log" }

    /// Starts a fresh server and creates its database `postsync`.
    ///
    /// Binaries: `POSTSYNC_TEST_PG_BIN` (which `scripts/with-postgres.sh` exports), else the
    /// newest `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package).
    /// - Throws: `Unavailable` when no server can run here; `Failure` when a tool fails (nothing
    ///   is left behind then).
    public static func start() async throws -> PostgresTestServer {
        let binaries = try serverBinaries()
        let owner = try serverUser()
        let directory = try temporaryDirectory("postsync-pg")
        do {
            return try await start(in: directory, binaries: binaries, owner: owner)
        } catch {
            // Also when cancelled: `discard` needs no subprocess.
            discard(directory: directory, server: serverProcess(in: directory + "/data"))
            throw error
        }
    }

    private static func start(in directory: String, binaries: String, owner: (uid: uid_t, gid: gid_t)?) async throws
        -> PostgresTestServer
    {
        let data = directory + "/data"
        let socket = directory + "/socket"
        try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: false)
        if let owner {
            // The server, running as postgres, creates `data` and `server.log` in here and its
            // socket in `socket`.
            for path in [directory, socket] {
                guard chown(path, owner.uid, owner.gid) == 0 else {
                    throw Failure(what: "cannot chown \(path) to postgres", details: String(cString: strerror(errno)))
                }
            }
        }
        let asPostgres = owner != nil
        // --no-sync: the cluster is thrown away, as fsync=off says for the server.
        let initdb = try await runTool(
            binaries + "/initdb",
            ["-D", data, "-U", "postsync", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            asPostgres: asPostgres, timeout: .seconds(120))
        guard initdb.status == 0 else {
            var what = "initdb failed"
            // The usual cause as root: a TMPDIR that the postgres user cannot enter.
            if asPostgres { what += " (the temporary directory \(directory) must be accessible to the postgres user)" }
            throw failure(what, initdb, log: nil)
        }
        try append(
            """

            # PostgresTestServer: a throwaway server for one test (the settings of scripts/with-postgres.sh).
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(socket)'
            max_connections = 200
            shared_buffers = 128MB

            """, to: data + "/postgresql.conf")
        // A free port is only free until the server binds it: another one when it was taken.
        let attempts = 5
        var attempt = 1
        while true {
            let port = try freeLoopbackPort()
            // The last `port` line wins, and `restart()` finds it there.
            try append("port = \(port)\n", to: data + "/postgresql.conf")
            let server = PostgresTestServer(directory: directory, port: port, binaries: binaries, asPostgres: asPostgres)
            let started = try await server.pgCtl("start", ["-l", server.logPath])
            if started.status == 0 {
                try server.adoptServer()
                try await server.createDatabase()
                return server
            }
            let log = (try? String(contentsOfFile: server.logPath, encoding: .utf8)) ?? ""
            guard attempt < attempts && log.contains("could not bind") else {
                throw failure("the PostgreSQL test server did not start", started, log: server.logPath)
            }
            attempt += 1
        }
    }

    /// Stops the server (`pg_ctl -m fast stop`: sessions are ended, so a daemon connected to it
    /// sees its connections dropped), keeping its data for `restart()`.
    public func stop() async throws {
        let output = try await pgCtl("stop", ["-m", "fast"])
        guard output.status == 0 else { throw Self.failure("pg_ctl stop failed", output, log: logPath) }
        let stopped = state.withLock { state in
            defer { state.server = nil }
            return state.server
        }
        if let stopped { ChildReaper.shared?.release(stopped.pid) }
    }

    /// Starts the server again on the same data directory and port (`pg_ctl -w start`).
    public func restart() async throws {
        let output = try await pgCtl("start", ["-l", logPath])
        guard output.status == 0 else { throw Self.failure("pg_ctl start failed", output, log: logPath) }
        try adoptServer()
    }

    /// Ends the server at once (an immediate shutdown) and removes the directory. Idempotent;
    /// works in a cancelled task too (it starts no subprocess), polling for at most a few seconds.
    public func remove() async {
        let (first, known) = state.withLock { state in
            defer {
                state.removed = true
                state.server = nil
            }
            return (!state.removed, state.server)
        }
        guard first else { return }
        Self.discard(directory: directory, server: known ?? Self.serverProcess(in: dataDirectory))
    }

    // MARK: - The server process

    /// Records the postmaster that `pg_ctl start` left running (its PID is the first line of
    /// `postmaster.pid`), so that `remove()` ends it and the reaper does should nothing else.
    private func adoptServer() throws {
        guard let server = Self.serverProcess(in: dataDirectory) else {
            throw Failure(
                what: "pg_ctl started the server, but \(dataDirectory)/postmaster.pid names no running process",
                details: Self.logTail(logPath))
        }
        ChildReaper.shared?.adopt(server.pid)
        state.withLock { $0.server = server }
    }

    /// The running postmaster of the cluster in `data`, if any.
    private static func serverProcess(in data: String) -> ServerProcess? {
        guard let pidFile = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
            let first = pidFile.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)),
            pid > 0, let started = ChildReaper.startTime(of: pid)
        else { return nil }
        let server = ServerProcess(pid: pid, started: started)
        return isRunning(server) ? server : nil
    }

    /// Whether the process is alive: not gone, not a zombie (the postmaster is not our child, so
    /// whoever inherited it reaps it, maybe late), and not another process under a recycled PID.
    private static func isRunning(_ server: ServerProcess) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(server.pid)/stat", encoding: .utf8),
            let end = stat.range(of: ")", options: .backwards)
        else { return false }
        // After "pid (comm) " come the fields from field 3 (the state) on; field 22 is the start time.
        let fields = stat[end.upperBound...].split(separator: " ")
        return fields.count >= 20 && fields[0] != "Z" && String(fields[19]) == server.started
    }

    /// Ends the server and removes the directory, synchronously. SIGQUIT is PostgreSQL's
    /// immediate shutdown (what `pg_ctl -m immediate stop` sends): the postmaster makes its
    /// backends quit, waits for them and exits. Should it still run after 10 s, SIGKILL for its
    /// process group (it leads a session of its own, its backends in it).
    private static func discard(directory: String, server: ServerProcess?) {
        if let server {
            if isRunning(server) {
                kill(server.pid, SIGQUIT)
                if !waitUntilEnded(server, timeout: .seconds(10)) {
                    kill(-server.pid, SIGKILL)
                    _ = waitUntilEnded(server, timeout: .seconds(5))
                }
            }
            // One that somehow survived stays registered, so the reaper still gets it.
            if !isRunning(server) { ChildReaper.shared?.release(server.pid) }
        }
        try? FileManager.default.removeItem(atPath: directory)
        if !FileManager.default.fileExists(atPath: directory) { ChildReaper.shared?.release(directory: directory) }
    }

    /// Polls instead of `Task.sleep`, which a cancelled task cannot do.
    private static func waitUntilEnded(_ server: ServerProcess, timeout: Duration) -> Bool {
        let limit = ContinuousClock.now + timeout
        while isRunning(server) {
            guard ContinuousClock.now < limit else { return false }
            usleep(10_000)
        }
        return true
    }

    // MARK: - Tools

    /// `pg_ctl -D data -w COMMAND`: waits (up to 60 s) until the server is up or down.
    private func pgCtl(_ command: String, _ options: [String]) async throws -> ProcessRunner.Output {
        try await Self.runTool(
            binaries + "/pg_ctl", ["-D", dataDirectory, "-w", "-t", "60"] + options + [command], asPostgres: asPostgres,
            timeout: .seconds(90))
    }

    /// `createdb postsync`, a client like any other (over TCP, as role `postsync`).
    private func createDatabase() async throws {
        let output = try await ProcessRunner.run(
            binaries + "/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postsync", "postsync"],
            environment: ["LC_ALL": "C"])
        guard output.status == 0 else { throw Self.failure("createdb failed", output, log: logPath) }
    }

    /// Runs a server tool (as `postgres` when we are root), detached from our descriptors (see
    /// `detached`), with untranslated messages (`start` reads the log for a taken port).
    private static func runTool(_ tool: String, _ arguments: [String], asPostgres: Bool, timeout: Duration) async throws
        -> ProcessRunner.Output
    {
        let user = asPostgres ? [runuser, "-u", "postgres", "--"] : []
        return try await ProcessRunner.run(
            "/bin/bash", ["-c", detached, "bash"] + user + [tool] + arguments, environment: ["LC_ALL": "C"],
            timeout: timeout)
    }

    /// `POSTSYNC_TEST_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
    private static func serverBinaries() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["POSTSYNC_TEST_PG_BIN"], !configured.isEmpty {
            guard hasServer(configured) else {
                throw Unavailable("POSTSYNC_TEST_PG_BIN=\(configured) holds no PostgreSQL server binaries")
            }
            return configured
        }
        let root = "/usr/lib/postgresql"
        // Version directories (9.6, 15, 16), highest first.
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
        for version in versions where hasServer("\(root)/\(version)/bin") { return "\(root)/\(version)/bin" }
        throw Unavailable("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    }

    private static func hasServer(_ directory: String) -> Bool {
        ["initdb", "pg_ctl", "postgres", "createdb"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)")
        }
    }

    /// The `postgres` user when we are root (nil otherwise: the tools run as we do).
    private static func serverUser() throws -> (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0 else { return nil }
        guard FileManager.default.isExecutableFile(atPath: runuser) else {
            throw Unavailable("running as root, and there is no \(runuser) to run the server as postgres")
        }
        guard let entry = getpwnam("postgres") else {
            throw Unavailable("running as root, and there is no postgres user to run the server as")
        }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// A free loopback TCP port (`LoopbackPort.free`).
    public static func freeLoopbackPort() throws -> Int {
        guard let port = LoopbackPort.free() else {
            throw Failure(what: "cannot find a free loopback port", details: String(cString: strerror(errno)))
        }
        return port
    }

    private static func append(_ text: String, to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }

    private static func failure(_ what: String, _ output: ProcessRunner.Output, log: String?) -> Failure {
        var details = [output.stdout, output.stderr].filter { !$0.isEmpty }
        if let log { details += ["--- \(log)", logTail(log)] }
        return Failure(what: "\(what) (exit status \(output.status))", details: details.joined(separator: "\n"))
    }

    private static func logTail(_ path: String, lines: Int = 30) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// Starts a private `PostgresTestServer`, runs `body` with it and removes the server, however
/// `body` ends (it throws, or the task is cancelled).
/// - Throws: `PostgresTestServer.Unavailable` when no server can run here, or what `body` throws.
public func withPostgresTestServer<T: Sendable>(_ body: @Sendable (PostgresTestServer) async throws -> T) async throws -> T {
    let server = try await PostgresTestServer.start()
    do {
        let result = try await body(server)
        await server.remove()
        return result
    } catch {
        await server.remove()
        throw error
    }
}

/// The shared server that `scripts/with-postgres.sh` starts around `swift test` (CI runs the tests
/// that way; locally, `scripts/with-postgres.sh swift test`).
public enum PostgresTestEnvironment {
    /// `POSTSYNC_TEST_DATABASE_URL`, or nil.
    public static var url: String? {
        guard let url = ProcessInfo.processInfo.environment["POSTSYNC_TEST_DATABASE_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// Whether a missing server is a failure rather than a skip: on CI (`CI=true`, as CI services
    /// set it), where a skipped PostgreSQL test would hide that nothing ran.
    public static var required: Bool {
        guard let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() else { return false }
        return ["true", "1", "yes"].contains(value)
    }
}
