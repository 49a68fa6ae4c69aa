import Foundation
import Hummingbird
import Logging

/// The routes of the public HTTP listener (CONTRACT section 5): platform webhooks, the cron
/// trigger, health and metrics, as a Hummingbird router. `HTTPListenerServer` serves it on
/// `http.listen`; tests drive it in process (`app.test(.router)`). Errors are `ControlError`s,
/// rendered by `APIRouter` like the control API's.
public struct HTTPListenerAPI: Sendable {
    let supervisor: Supervisor
    let secretsBox: SecretsBox
    let metrics: DaemonMetrics
    let deduplicator: WebhookDeduplicator
    let clock: any DaemonClock
    let logger: Logger
    /// Completes OAuth connects from the platforms' redirects (nil: the callbacks answer 404).
    let connect: ConnectService?

    /// Creates the routes.
    /// - Parameters:
    ///   - supervisor: Takes the syncs webhooks and cron ask for.
    ///   - secrets: The secrets in force (replaced on SIGHUP).
    ///   - metrics: What `/metrics` renders, and where deliveries are counted.
    ///   - clock: For TikTok signature times and the duplicate window.
    ///   - logger: For refused requests.
    ///   - connect: The OAuth connect flows (`/oauth/{platform}/callback`).
    public init(
        supervisor: Supervisor, secrets: SecretsBox, metrics: DaemonMetrics, clock: any DaemonClock, logger: Logger,
        connect: ConnectService? = nil
    ) {
        self.connect = connect
        self.supervisor = supervisor
        secretsBox = secrets
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        deduplicator = WebhookDeduplicator()
    }

    /// The secrets in force.
    var secrets: Secrets { secretsBox.value }

    /// The routes; a body over `maxBody` bytes (`http.max_body`) is a 413 before any route runs.
    public func router(maxBody: Int) -> Router<APIRequestContext> {
        let routes = APIRouter(bodyLimit: BodyLimitMiddleware(maxBytes: maxBody, name: "http.max_body"), logger: logger)
        routes.group("webhooks")
            .get("instagram", use: verifySubscription)
            .post("instagram", use: instagramWebhook)
            .post("tiktok", use: tiktokWebhook)
        routes.post("api/cron/sync-all", use: cron)
        routes.get("oauth/instagram/callback", use: oauthCallback)
        routes.get("oauth/tiktok/callback", use: oauthCallback)
        routes.get("healthz", use: health)
        routes.get("metrics", use: renderMetrics)
        return routes.router
    }

    /// `GET /webhooks/instagram`, Meta's subscription handshake: echo `hub.challenge` as
    /// text/plain when the verify token matches; 403 `forbidden` otherwise.
    func verifySubscription(_ request: Request, context: APIRequestContext) throws -> Response {
        let query = ControlQuery(request)
        guard query["hub.mode"] == "subscribe", let expected = secrets.instagramVerifyToken,
            let given = query["hub.verify_token"], ConstantTime.equal(given, expected),
            let challenge = query["hub.challenge"]
        else {
            logger.warning("webhook verification refused", metadata: ["http.remote": "\(context.remoteAddress)"])
            throw ControlError.forbidden("hub.mode or hub.verify_token is wrong")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: challenge)))
    }

    /// `POST /api/cron/sync-all`: the old cron endpoint, bearer-protected; 404 without a cron
    /// secret. Syncs every active account with trigger `cron` and answers the summary.
    func cron(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<SyncAllSummary> {
        guard let secret = secrets.cronSecret else { throw ControlError.disabled("no cron secret is configured") }
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), ConstantTime.equal(String(header.dropFirst(prefix.count)), secret) else {
            logger.warning("cron trigger refused", metadata: ["http.remote": "\(context.remoteAddress)"])
            throw ControlError.unauthorized("bad or missing bearer token")
        }
        return JSONResponse(await supervisor.syncAll(.cron))
    }

    /// `GET /healthz`: 200 `{"status":"ok"}` while the supervisor answers within a second and the
    /// database can be reached, else 503 `{"status":"unavailable"}`.
    func health(_ request: Request, context: APIRequestContext) async -> JSONResponse<ListenerStatus> {
        await supervisor.answers(within: .seconds(1)) && supervisor.database.isAvailable
            ? JSONResponse(.ok) : JSONResponse(.unavailable, status: .serviceUnavailable)
    }

    /// `GET /metrics`: Prometheus text, with the accounts-by-state gauge set at scrape time.
    func renderMetrics(_ request: Request, context: APIRequestContext) async -> Response {
        metrics.database(available: supervisor.database.isAvailable)
        for (platform, ratio) in supervisor.schedule.budgetRatios(now: clock.now) {
            metrics.scheduleBudgetRatio(ratio, platform: platform)
        }
        if let views = try? await supervisor.accountViews() {
            metrics.accounts(byState: Dictionary(grouping: views, by: \.state).mapValues(\.count))
            let now = clock.now
            metrics.refreshTokensExpiring(views.filter { TokenPolicy.refreshTokenExpiresSoon($0, now: now) }.count)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
}
