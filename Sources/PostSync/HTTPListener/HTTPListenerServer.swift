import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// Serves `HTTPListenerAPI`'s router on `http.listen` (TCP). Bodies over `http.max_body` get 413
/// without being read whole; idle connections are closed after 30 s so slow or idle clients
/// cannot pin resources.
public struct HTTPListenerServer: Service {
    let api: HTTPListenerAPI
    let host: String
    let port: Int
    let maxBody: Int
    let logger: Logger
    let onReady: @Sendable (Int) async -> Void

    /// Creates the server.
    /// - Parameters:
    ///   - api: The routes.
    ///   - host: The address to bind.
    ///   - port: The port (0 picks a free one).
    ///   - maxBody: `http.max_body` in bytes.
    ///   - logger: For the listener's life and the routes' refusals.
    ///   - onReady: Called with the bound port once listening.
    public init(
        api: HTTPListenerAPI, host: String, port: Int, maxBody: Int, logger: Logger,
        onReady: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.api = api
        self.host = host
        self.port = port
        self.maxBody = maxBody
        self.logger = logger
        self.onReady = onReady
    }

    /// Listens until graceful shutdown.
    public func run() async throws {
        let logger = self.logger
        let onReady = self.onReady
        let application = Application(
            router: api.router(maxBody: maxBody),
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
