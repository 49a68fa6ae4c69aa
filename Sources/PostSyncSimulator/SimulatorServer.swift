import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging

/// Serves a `SimulatorWorld` over HTTP on one listener for both platforms and the admin API.
///
/// The server is a thin adapter: it turns a Hummingbird request into a `SimulatorHTTPRequest`,
/// asks the world for the answer, waits out any injected latency and writes the answer back.
public struct SimulatorServer: Sendable {
    /// The world answering requests.
    public let world: SimulatorWorld
    /// Interface to bind (loopback by default).
    public let host: String
    /// Port to bind; 0 picks a free port, reported through `onReady`.
    public let port: Int
    /// Logger for the server and its per-request debug lines.
    public let logger: Logger

    /// Creates a server for `world`.
    /// - Parameters:
    ///   - world: The world answering requests.
    ///   - host: Interface to bind.
    ///   - port: Port to bind; 0 picks a free one.
    ///   - logger: Logger to use.
    public init(world: SimulatorWorld, host: String = "127.0.0.1", port: Int = 0, logger: Logger) {
        self.world = world
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Runs until the surrounding task is cancelled; calls `onReady` with the bound port once listening.
    ///
    /// When the world's configuration has a `webhookURL`, a `WebhookForwarder` runs alongside
    /// and delivers signed webhooks for the world's events (it consumes `world.events`).
    public func run(onReady: @escaping @Sendable (Int) async -> Void) async throws {
        let world = self.world
        let logger = self.logger
        let requestedPort = self.port
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) -> Response in
            try await Self.respond(to: request, world: world, logger: logger)
        }
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "postsync-simulator"),
            onServerRunning: { channel in
                await onReady(channel.localAddress?.port ?? requestedPort)
            },
            logger: logger
        )
        guard let forwarder = webhookForwarder() else {
            try await application.run()
            return
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await forwarder.run() }
            // The listener decides the lifetime; the forwarder stops with it.
            defer { group.cancelAll() }
            try await application.run()
        }
    }

    /// The forwarder for the configured webhook URL, or nil when none is configured.
    private func webhookForwarder() -> WebhookForwarder? {
        let configuration = world.configuration
        guard let url = configuration.webhookURL, !url.isEmpty else { return nil }
        let sender = WebhookSender(
            webhookURL: url, appSecret: configuration.instagramAppSecret, tiktokClientSecret: configuration.tiktokClientSecret,
            tiktokClientKey: configuration.tiktokClientKey, httpClient: .shared)
        return WebhookForwarder(world: world, sender: sender, logger: logger)
    }

    /// Converts one request, lets the world answer it and converts the answer back.
    static func respond(to request: Request, world: SimulatorWorld, logger: Logger) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 4 * 1_024 * 1_024)
        var headers: [String: String] = [:]
        for field in request.headers {
            headers[field.name.canonicalName] = field.value
        }
        let simulated = SimulatorHTTPRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            query: QueryString.parse(request.uri.query ?? ""),
            headers: headers,
            body: Data(buffer.readableBytesView),
            // HTTP/1 `Host` becomes the request's authority in swift-http-types.
            host: request.head.authority ?? headers["host"]
        )
        let answer = await world.handle(simulated)
        if answer.delayMs > 0 {
            try await Task.sleep(for: .milliseconds(answer.delayMs))
        }
        logger.debug(
            "simulator request",
            metadata: ["http.method": "\(simulated.method)", "http.path": "\(simulated.path)", "http.status": "\(answer.status)"]
        )
        var fields = HTTPFields()
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) {
            guard let fieldName = HTTPFields.Element.Name(name) else { continue }
            fields.append(HTTPFields.Element(name: fieldName, value: value))
        }
        return Response(
            status: status(answer.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// Known statuses keep their standard reason phrase.
    private static func status(_ code: Int) -> HTTPResponse.Status {
        switch code {
        case 200: .ok
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 429: .tooManyRequests
        case 500: .internalServerError
        default: HTTPResponse.Status(code: code)
        }
    }
}
