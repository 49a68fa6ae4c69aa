import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Serves `HTTPListenerAPI` on `http.listen` (TCP). Bodies over `http.max_body` get 413 without
/// being read whole; idle connections are closed after 30 s so slow or idle clients cannot pin
/// resources.
public struct HTTPListenerServer: Service {
    /// A request context that remembers the peer for logs.
    struct Context: RequestContext {
        var coreContext: CoreRequestContextStorage
        let remote: String

        init(source: ApplicationRequestContextSource) {
            coreContext = .init(source: source)
            remote = source.channel.remoteAddress?.description ?? "-"
        }
    }

    let api: HTTPListenerAPI
    let host: String
    let port: Int
    let maxBody: Int
    let logger: Logger
    let onReady: @Sendable (Int) async -> Void

    /// Creates the server.
    /// - Parameter onReady: Called with the bound port once listening (port 0 picks a free one).
    public init(api: HTTPListenerAPI, host: String, port: Int, maxBody: Int, logger: Logger, onReady: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.api = api
        self.host = host
        self.port = port
        self.maxBody = maxBody
        self.logger = logger
        self.onReady = onReady
    }

    /// Listens until graceful shutdown.
    public func run() async throws {
        let api = self.api
        let maxBody = self.maxBody
        let responder = CallbackResponder { (request: Request, context: Context) -> Response in
            let tooLarge = Response(
                status: .contentTooLarge, headers: [.contentType: "application/json", .connection: "close"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"code":"too_large","message":"body exceeds http.max_body"}}"# + "\n")))
            if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBody { return tooLarge }
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: maxBody) } catch { return tooLarge }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let answer = await api.handle(HTTPListenerAPI.Request(
                method: request.method.rawValue, path: request.uri.path,
                query: Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { $1 }),
                headers: headers, body: Data(body.readableBytesView), remoteAddress: context.remote))
            return Response(
                status: .init(code: answer.status), headers: [.contentType: answer.contentType],
                body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
        }
        let logger = self.logger
        let onReady = self.onReady
        let application = Application(
            responder: responder,
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "postsync"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("http listener ready", metadata: ["http.port": "\(bound)"])
                await onReady(bound)
            },
            logger: logger)
        try await application.run()
    }
}
