import AsyncAlgorithms
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Serves `ControlAPI` as HTTP/1.1 + JSON on the control Unix socket. At start it removes a stale
/// socket file left by a crash (refusing to start if another daemon still answers on it), binds,
/// sets the file mode from `control.mode`, and removes the file again on shutdown.
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

    /// Creates the server.
    /// - Parameters:
    ///   - api: The routes.
    ///   - path: The socket path.
    ///   - mode: The socket file mode (`control.mode`).
    ///   - onReady: Called once the socket is bound and its mode set.
    public init(api: ControlAPI, path: String, mode: UInt32, logger: Logger, onReady: @escaping @Sendable () async -> Void = {}) {
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
        let api = self.api
        let path = self.path
        let mode = self.mode
        let logger = self.logger
        let onReady = self.onReady
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let answer = await api.handle(ControlRequest(
                method: request.method.rawValue, path: request.uri.path,
                query: Self.query(request.uri.queryParameters.map { (String($0.key), String($0.value)) }),
                body: Data(body.readableBytesView)))
            return Self.response(answer)
        }
        let application = Application(
            responder: responder,
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

    /// Query pairs (already percent-decoded) as a dictionary; a repeated key keeps its last value.
    static func query(_ pairs: [(String, String)]) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in pairs { result[key] = value }
        return result
    }

    static func response(_ answer: ControlResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        switch answer.body {
        case .data(let data):
            return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .stream(let produce):
            return Response(status: .init(code: answer.status), headers: headers, body: ResponseBody { writer in
                // The producer cannot hold the inout writer; a channel with back-pressure joins them.
                let channel = AsyncChannel<Data>()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        defer { channel.finish() }
                        try await produce { chunk in await channel.send(chunk) }
                    }
                    for await chunk in channel {
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await group.waitForAll()
                }
                try await writer.finish(nil)
            })
        }
    }
}
