import Crypto
import Foundation
import Logging

/// The routes of the public HTTP listener (CONTRACT section 5): platform webhooks, the cron
/// trigger, health and metrics. A function from request to response, like `ControlAPI`, so it is
/// testable without a socket; `HTTPListenerServer` serves it on `http.listen`.
public struct HTTPListenerAPI: Sendable {
    /// One request as the listener received it.
    public struct Request: Sendable {
        /// Method.
        public var method: String
        /// Path.
        public var path: String
        /// Decoded query.
        public var query: [String: String]
        /// Headers, names lowercased.
        public var headers: [String: String]
        /// The exact raw body (signatures cover these bytes).
        public var body: Data
        /// The peer, for logs.
        public var remoteAddress: String

        /// Creates a request.
        public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: Data = Data(), remoteAddress: String = "-") {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.body = body
            self.remoteAddress = remoteAddress
        }
    }

    /// The answer.
    public struct Response: Sendable, Equatable {
        /// Status.
        public var status: Int
        /// Content type.
        public var contentType: String
        /// Body.
        public var body: Data

        static func json(_ text: String, status: Int = 200) -> Response {
            Response(status: status, contentType: "application/json", body: Data((text + "\n").utf8))
        }
    }

    /// Secrets and limits the routes need.
    public struct Secrets: Sendable {
        /// Meta app secret (X-Hub-Signature-256).
        public var instagramAppSecret: String?
        /// Meta verify token (subscription handshake).
        public var instagramVerifyToken: String?
        /// TikTok client secret (TikTok-Signature).
        public var tiktokClientSecret: String?
        /// Bearer secret of `/api/cron/sync-all`; nil disables the route (404).
        public var cronSecret: String?

        /// Creates the set.
        public init(instagramAppSecret: String?, instagramVerifyToken: String?, tiktokClientSecret: String?, cronSecret: String?) {
            self.instagramAppSecret = instagramAppSecret
            self.instagramVerifyToken = instagramVerifyToken
            self.tiktokClientSecret = tiktokClientSecret
            self.cronSecret = cronSecret
        }
    }

    let supervisor: Supervisor
    let secretsBox: SecretsBox
    let metrics: DaemonMetrics
    let deduplicator: WebhookDeduplicator
    let clock: any DaemonClock
    let logger: Logger

    /// Creates the routes.
    public init(supervisor: Supervisor, secrets: SecretsBox, metrics: DaemonMetrics, clock: any DaemonClock, logger: Logger) {
        self.supervisor = supervisor
        secretsBox = secrets
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        deduplicator = WebhookDeduplicator()
    }

    /// The secrets in force (replaced on SIGHUP).
    var secrets: Secrets { secretsBox.value }

    /// Answers one request; never throws.
    public func handle(_ request: Request) async -> Response {
        switch (request.method, request.path) {
        case ("GET", "/webhooks/instagram"): return verifySubscription(request)
        case ("POST", "/webhooks/instagram"): return await instagramWebhook(request)
        case ("POST", "/webhooks/tiktok"): return await tiktokWebhook(request)
        case ("POST", "/api/cron/sync-all"): return await cron(request)
        case ("GET", "/healthz"): return await health()
        case ("GET", "/metrics"): return await renderMetrics()
        case (_, "/webhooks/instagram"), (_, "/webhooks/tiktok"), (_, "/api/cron/sync-all"), (_, "/healthz"), (_, "/metrics"):
            return .json(#"{"error":{"code":"method_not_allowed","message":"method not allowed"}}"#, status: 405)
        default:
            return .json(#"{"error":{"code":"not_found","message":"no such route"}}"#, status: 404)
        }
    }

    /// Meta's subscription handshake: echo `hub.challenge` when the verify token matches.
    func verifySubscription(_ request: Request) -> Response {
        guard request.query["hub.mode"] == "subscribe", let expected = secrets.instagramVerifyToken,
              let given = request.query["hub.verify_token"], ConstantTime.equal(given, expected),
              let challenge = request.query["hub.challenge"]
        else {
            logger.warning("webhook verification refused", metadata: ["http.remote": "\(request.remoteAddress)"])
            return Response(status: 403, contentType: "text/plain", body: Data("forbidden\n".utf8))
        }
        return Response(status: 200, contentType: "text/plain", body: Data(challenge.utf8))
    }

    /// `/api/cron/sync-all`: the old cron endpoint, bearer-protected.
    func cron(_ request: Request) async -> Response {
        guard let secret = secrets.cronSecret else {
            return .json(#"{"error":{"code":"not_found","message":"no cron secret is configured"}}"#, status: 404)
        }
        let header = request.headers["authorization"] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), ConstantTime.equal(String(header.dropFirst(prefix.count)), secret) else {
            logger.warning("cron trigger refused", metadata: ["http.remote": "\(request.remoteAddress)"])
            return .json(#"{"error":{"code":"unauthorized","message":"bad or missing bearer token"}}"#, status: 401)
        }
        let summary = await supervisor.syncAll(.cron)
        guard let data = try? ControlJSON.encoder.encode(summary) else { return .json("{}", status: 500) }
        return Response(status: 200, contentType: "application/json", body: data + Data("\n".utf8))
    }

    /// 200 while the supervisor answers within a second, else 503.
    func health() async -> Response {
        let alive = await supervisor.answers(within: .seconds(1))
        return alive ? .json(#"{"status":"ok"}"#) : .json(#"{"status":"unavailable"}"#, status: 503)
    }

    func renderMetrics() async -> Response {
        if let views = try? await supervisor.accountViews() {
            metrics.accounts(byState: Dictionary(grouping: views, by: \.state).mapValues(\.count))
        }
        return Response(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Data(metrics.render().utf8))
    }
}

/// Constant-time comparison of secrets (their lengths may leak, their contents do not).
enum ConstantTime {
    /// Compares two strings' SHA-256 digests byte by byte without an early exit.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(SHA256.hash(data: Data(a.utf8)))
        let y = Array(SHA256.hash(data: Data(b.utf8)))
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
