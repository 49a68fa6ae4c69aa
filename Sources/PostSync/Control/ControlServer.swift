import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Serves `ControlAPI`'s router as HTTP/1.1 + JSON on the control Unix socket. At start it
/// removes a stale socket file left by a crash (refusing to start if another daemon still answers
/// on it), binds, sets the file mode from `control.mode`, and removes the file again on shutdown.
public struct ControlServer: Service {
    /// Thrown when another daemon answers on the socket.
    public struct SocketInUse: Error, CustomStringConvertible {
        /// The socket path.
        public var path: String
        /// A message.
        public var description: String { "another postsync daemon answers on \(path); stop it first" }
    }

    let api: ControlAPI
    let path: String
    let mode: UInt32
    let logger: Logger
    let onReady: @Sendable () async -> Void
    /// A connection without a request for this long is closed (a response in progress, such as
    /// a `logs -f` stream, is never cut).
    let idleTimeout: Duration

    /// Creates the server.
    /// - Parameters:
    ///   - api: The routes.
    ///   - path: The socket path.
    ///   - mode: The socket file mode (`control.mode`).
    ///   - logger: For the socket's life and the API's unexpected errors.
    ///   - onReady: Called once the socket is bound and its mode set.
    ///   - idleTimeout: When an idle connection is closed (60 s).
    public init(
        api: ControlAPI, path: String, mode: UInt32, logger: Logger, onReady: @escaping @Sendable () async -> Void = {},
        idleTimeout: Duration = .seconds(60)
    ) {
        self.idleTimeout = idleTimeout
        self.api = api
        self.path = path
        self.mode = mode
        self.logger = logger
        self.onReady = onReady
    }

    /// Removes a stale socket file; throws when a live daemon answers on it.
    public static func clearStaleSocket(at path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        if UnixSocketProbe.answers(path) { throw SocketInUse(path: path) }
        try FileManager.default.removeItem(atPath: path)
    }

    /// Binds and serves until graceful shutdown.
    public func run() async throws {
        try Self.clearStaleSocket(at: path)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let path = self.path
        let mode = self.mode
        let logger = self.logger
        let onReady = self.onReady
        let (seconds, attoseconds) = idleTimeout.components
        let application = Application(
            router: api.router(),
            server: .http1(
                configuration: .init(idleTimeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))),
            configuration: ApplicationConfiguration(address: .unixDomainSocket(path: path), serverName: "postsync"),
            onServerRunning: { _ in
                if chmod(path, mode_t(mode)) != 0 {
                    logger.warning("control socket mode could not be set", metadata: ["socket.path": "\(path)"])
                }
                logger.info("control socket listening", metadata: ["socket.path": "\(path)"])
                await onReady()
            },
            logger: logger)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await application.run()
    }
}
