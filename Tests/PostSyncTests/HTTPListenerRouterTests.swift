import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The HTTP listener's routes in process (`app.test(.router)`, no socket): answers and error
/// codes of the webhooks, cron, health and metrics, over a running supervisor with a fake
/// platform and a manual clock. Signatures come from `openssl` and Python, never from the
/// production code; what needs real TCP (chunked bodies, the daemon's wiring) is in
/// `HTTPListenerTests`.
@Suite struct HTTPListenerRouterTests {
    static let appSecret = "router-app-secret"
    static let verifyToken = "router-verify-token"
    static let cronSecret = "router-cron-secret"
    /// The TikTok client secret `HTTPListenerTests.tiktokSignature` signs with.
    static let tiktokSecret = "sim-client-secret"
    static let instagramID = "17841400000000011"
    static let tiktokID = "act.router0000000000000000000001"

    /// The router's client and the daemon parts behind it.
    struct Fixture: Sendable {
        let client: any TestClientProtocol
        let harness: SupervisorHarness
        let clock: ManualClock
        let platform: FakePlatformClient
        let metrics: DaemonMetrics

        var instagram: AccountID { AccountID(platform: .instagram, externalID: HTTPListenerRouterTests.instagramID) }
        var tiktok: AccountID { AccountID(platform: .tiktok, externalID: HTTPListenerRouterTests.tiktokID) }

        /// Entries of one account with one trigger.
        func entries(_ id: AccountID, _ trigger: SyncTrigger) throws -> [SyncLogEntry] {
            try harness.entries(id).filter { $0.trigger == trigger }
        }

        /// A signed Meta delivery.
        func postInstagram(_ body: Data) async throws -> TestResponse {
            let signature = "sha256=" + (try IndependentHMAC.openssl(key: HTTPListenerRouterTests.appSecret, message: body))
            return try await client.send(.post, "/webhooks/instagram", data: body, headers: [.hubSignature: signature])
        }

        /// A TikTok delivery signed for `t` (default: the clock's now).
        func postTikTok(_ body: Data, at t: Int? = nil) async throws -> TestResponse {
            let header = try HTTPListenerTests.tiktokSignature(body: body, timestamp: t ?? Int(clock.now.timeIntervalSince1970))
            return try await client.send(.post, "/webhooks/tiktok", data: body, headers: [.tiktokSignature: header])
        }
    }

    /// Runs `body` against the listener router (1 KiB `http.max_body`) of a supervisor with one
    /// Instagram and one TikTok account, both synced once on schedule.
    static func withListener(
        cronSecret: String? = HTTPListenerRouterTests.cronSecret, _ body: @escaping @Sendable (Fixture) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let platform = FakePlatformClient()
        let harness = try SupervisorHarness(clients: [.instagram: platform, .tiktok: platform], clock: clock)
        let metrics = DaemonMetrics()
        let secrets = SecretsBox(
            HTTPListenerAPI.Secrets(
                instagramAppSecret: appSecret, instagramVerifyToken: verifyToken, tiktokClientSecret: tiktokSecret,
                cronSecret: cronSecret))
        try await harness.run { h in
            for record in [AccountRecord.test(.instagram, instagramID, at: clock.now), .test(.tiktok, tiktokID, at: clock.now)] {
                _ = try await h.supervisor.addAccount(record)
                try await eventually("the first run of \(record.id)") { try h.entries(record.id).count == 1 }
            }
            let api = HTTPListenerAPI(
                supervisor: h.supervisor, secrets: secrets, metrics: metrics, clock: clock, logger: testLogger())
            let app = Application(router: api.router(maxBody: 1_024), logger: testLogger())
            try await app.test(.router) { client in
                try await body(Fixture(client: client, harness: h, clock: clock, platform: platform, metrics: metrics))
            }
        }
    }

    /// The deliveries counted with `result` on `platform`.
    static func deliveries(_ metrics: DaemonMetrics, _ platform: String, _ result: String) throws -> Double {
        try PrometheusText.parse(metrics.render()).samples
            .sum("postsync_webhook_deliveries_total", ["platform": platform, "result": result])
    }

    // MARK: Instagram

    /// Should echo `hub.challenge` as text/plain to a matching handshake and answer anything
    /// else with 403 `forbidden`, never echoing the challenge.
    @Test func verificationRoute() async throws {
        try await Self.withListener { f in
            let ok = try await f.client.send(
                .get, "/webhooks/instagram?hub.mode=subscribe&hub.verify_token=\(Self.verifyToken)&hub.challenge=1158201444")
            #expect(ok.status == .ok)
            #expect(ok.contentType.hasPrefix("text/plain"))
            #expect(ok.text == "1158201444")
            for query in [
                "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444",
                "hub.mode=unsubscribe&hub.verify_token=\(Self.verifyToken)&hub.challenge=1158201444",
                "hub.verify_token=\(Self.verifyToken)&hub.challenge=1158201444",
                "hub.mode=subscribe&hub.verify_token=\(Self.verifyToken)",
            ] {
                let refused = try await f.client.send(.get, "/webhooks/instagram?" + query)
                expectError(refused, .forbidden, "forbidden")
                #expect(!refused.text.contains("1158201444"), "\(query)")
            }
        }
    }

    /// Should answer a signed delivery 200 `{"status":"ok"}` and sync the known account with
    /// trigger webhook; the same body again 200 `{"status":"duplicate"}` without a sync; a bad or
    /// missing signature 401 `bad_signature`; a signed body that is not a Meta payload 400.
    @Test func instagramWebhookRoute() async throws {
        try await Self.withListener { f in
            let body = HTTPListenerTests.instagramBody([Self.instagramID, "17841499999999999"])
            // Past the spacing after the accounts' first runs, so the webhook's run starts at once.
            f.clock.advance(by: AccountStateMachine.webhookSpacing)
            let accepted = try await f.postInstagram(body)
            #expect(accepted.status == .ok)
            #expect(accepted.text == #"{"status":"ok"}"# + "\n")
            try await eventually("the webhook sync") { try f.entries(f.instagram, .webhook).count == 1 }

            let again = try await f.postInstagram(body)
            #expect(again.status == .ok)
            #expect(again.text == #"{"status":"duplicate"}"# + "\n")

            let other = HTTPListenerTests.instagramBody([Self.instagramID])
            expectError(try await f.client.send(.post, "/webhooks/instagram", data: other), .unauthorized, "bad_signature")
            let forged = "sha256=" + (try IndependentHMAC.python(key: "not-the-app-secret", message: other))
            expectError(
                try await f.client.send(.post, "/webhooks/instagram", data: other, headers: [.hubSignature: forged]),
                .unauthorized,
                "bad_signature", naming: "X-Hub-Signature-256")
            expectError(try await f.postInstagram(Data(#"{"object":"instagram"}"#.utf8)), .badRequest, "invalid_request")

            // A manual run now runs after any queued webhook trigger: still exactly one webhook run.
            _ = try await f.harness.supervisor.trigger(f.instagram, .manual, wait: true)
            #expect(try f.entries(f.instagram, .webhook).count == 1)
            #expect(try Self.deliveries(f.metrics, "instagram", "accepted") == 1)
            #expect(try Self.deliveries(f.metrics, "instagram", "duplicate") == 1)
            #expect(try Self.deliveries(f.metrics, "instagram", "bad_signature") == 2)
            #expect(try Self.deliveries(f.metrics, "instagram", "malformed") == 1)
            #expect(try Self.deliveries(f.metrics, "instagram", "unknown_account") == 1)
        }
    }

    // MARK: TikTok

    /// Should sync on a signed event, put the account in needs_reauth on `authorization.removed`,
    /// answer 401 `bad_signature` to a stale or missing signature and 400 to a signed non-payload.
    @Test func tiktokWebhookRoute() async throws {
        try await Self.withListener { f in
            let now = Int(f.clock.now.timeIntervalSince1970)
            let publish = HTTPListenerTests.tiktokBody(
                openID: Self.tiktokID, event: "post.publish.publicly_available", content: HTTPListenerTests.publishContent)
            expectError(
                try await f.postTikTok(publish, at: now - 301), .unauthorized, "bad_signature", naming: "TikTok-Signature")
            expectError(try await f.postTikTok(publish, at: now + 301), .unauthorized, "bad_signature")
            expectError(try await f.client.send(.post, "/webhooks/tiktok", data: publish), .unauthorized, "bad_signature")
            // Past the spacing after the accounts' first runs, so the webhook's run starts at once.
            f.clock.advance(by: AccountStateMachine.webhookSpacing)
            let accepted = try await f.postTikTok(publish)
            #expect(accepted.status == .ok)
            #expect(accepted.text == #"{"status":"ok"}"# + "\n")
            try await eventually("the webhook sync") { try f.entries(f.tiktok, .webhook).count == 1 }
            #expect(try await f.postTikTok(publish).text == #"{"status":"duplicate"}"# + "\n")

            expectError(try await f.postTikTok(Data("not json".utf8)), .badRequest, "invalid_request")
            let stranger = HTTPListenerTests.tiktokBody(openID: "act.nobody", event: "post.publish.complete", content: "{}")
            #expect(try await f.postTikTok(stranger).status == .ok, "an unknown account is acknowledged")

            let removal = HTTPListenerTests.tiktokBody(
                openID: Self.tiktokID, event: "authorization.removed", content: #"{\"reason\": 1 }"#)
            #expect(try await f.postTikTok(removal).status == .ok)
            try await eventually("needs_reauth") { try await f.harness.store.account(f.tiktok)?.state == .needsReauth }
            #expect(try Self.deliveries(f.metrics, "tiktok", "bad_signature") == 3)
            #expect(try Self.deliveries(f.metrics, "tiktok", "unknown_account") == 1)
        }
    }

    // MARK: Cron, health, metrics

    /// Should answer the cron route 404 `not_found` without a cron secret, 401 `unauthorized`
    /// for a wrong bearer, and 200 with the summary of a cron run of every active account.
    @Test func cronRoute() async throws {
        try await Self.withListener(cronSecret: nil) { f in
            let answer = try await f.client.send(
                .post, "/api/cron/sync-all", headers: [.authorization: "Bearer \(Self.cronSecret)"])
            expectError(answer, .notFound, "not_found", naming: "cron secret")
        }
        try await Self.withListener { f in
            for header in ["Bearer wrong", "Bearer \(Self.cronSecret)x", "Basic \(Self.cronSecret)", Self.cronSecret] {
                let refused = try await f.client.send(.post, "/api/cron/sync-all", headers: [.authorization: header])
                expectError(refused, .unauthorized, "unauthorized")
            }
            expectError(try await f.client.send(.post, "/api/cron/sync-all"), .unauthorized, "unauthorized")
            let answer = try await f.client.send(
                .post, "/api/cron/sync-all", headers: [.authorization: "Bearer \(Self.cronSecret)"])
            #expect(answer.status == .ok)
            #expect(answer.contentType == "application/json")
            let object = try #require(try JSONSerialization.jsonObject(with: answer.data) as? [String: Any])
            #expect(Set(object.keys) == ["total", "synced", "failed", "errors"])
            let summary = try answer.decode(SyncAllSummary.self)
            #expect(summary.total == 2 && summary.synced == 2 && summary.failed == 0)
            #expect(try f.entries(f.instagram, .cron).count == 1 && f.entries(f.tiktok, .cron).count == 1)
            expectError(try await f.client.send(.get, "/api/cron/sync-all"), .methodNotAllowed, "method_not_allowed")
        }
    }

    /// Should answer `/healthz` 200 `{"status":"ok"}` while the supervisor beats and 503
    /// `{"status":"unavailable"}` when it stopped; `/metrics` as Prometheus text; 405 and 404
    /// with the error body for a wrong method and an unknown path.
    @Test func healthMetricsAndUnknownRoutes() async throws {
        try await Self.withListener { f in
            await f.harness.supervisor.ping()
            let healthy = try await f.client.send(.get, "/healthz")
            #expect(healthy.status == .ok)
            #expect(healthy.contentType == "application/json")
            #expect(healthy.text == #"{"status":"ok"}"# + "\n")

            let metrics = try await f.client.send(.get, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
            let samples = try PrometheusText.parse(metrics.text).samples
            #expect(samples.sum("postsync_accounts", ["state": "idle"]) == 2)
            // The budget allows every account its interval (no TikTok limit is near).
            #expect(samples.sum("postsync_schedule_budget_ratio", ["platform": "tiktok"]) == 1)
            #expect(samples.sum("postsync_schedule_budget_ratio", ["platform": "instagram"]) == 1)
            #expect(samples.sum("postsync_syncs_total", [:]) == 0, "the fixture's supervisor records no metrics")

            for (method, path) in [
                (HTTPRequest.Method.post, "/healthz"), (.delete, "/metrics"), (.put, "/webhooks/tiktok"),
                (.delete, "/webhooks/instagram"),
            ] {
                expectError(try await f.client.send(method, path), .methodNotAllowed, "method_not_allowed", naming: path)
            }
            for path in ["/nope", "/webhooks", "/webhooks/facebook", "/api/cron", "/v1/status"] {
                expectError(try await f.client.send(.get, path), .notFound, "not_found", naming: path)
            }

            // Two seconds without a beat (the limit is 1 s plus one beat period), well before
            // any account is due: the supervisor counts as hung.
            f.clock.advance(by: 2)
            let hung = try await f.client.send(.get, "/healthz")
            #expect(hung.status == .serviceUnavailable)
            #expect(hung.text == #"{"status":"unavailable"}"# + "\n")
        }
    }

    // MARK: Limits

    /// Should answer a body over `http.max_body` with 413 `too_large` (closing the connection) on
    /// every route before its signature or secret is looked at, and take a body at the limit.
    @Test func oversizedBodiesAreTooLarge() async throws {
        try await Self.withListener { f in
            let big = HTTPListenerTests.instagramBody(Array(repeating: Self.instagramID, count: 20))
            #expect(big.count > 1_024)
            for path in ["/webhooks/instagram", "/webhooks/tiktok", "/api/cron/sync-all", "/nope"] {
                let answer = try await f.client.send(.post, path, data: big)
                expectError(answer, .contentTooLarge, "too_large", naming: "http.max_body")
                #expect(answer.headers[.connection] == "close")
            }
            expectError(try await f.postInstagram(big), .contentTooLarge, "too_large")
            #expect(try Self.deliveries(f.metrics, "instagram", "bad_signature") == 0, "no signature was checked")

            var atLimit = HTTPListenerTests.instagramBody([Self.instagramID])
            atLimit.append(contentsOf: [UInt8](repeating: 0x20, count: 1_024 - atLimit.count))
            #expect(atLimit.count == 1_024)
            #expect(try await f.postInstagram(atLimit).status == .ok)
        }
    }
}
