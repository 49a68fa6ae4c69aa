import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PostSyncSimulator
import PostSyncTestSupport
import ServiceLifecycle
import Testing

@testable import PostSync

/// The public HTTP listener (CONTRACT section 5) of a real daemon: the same services `postsync
/// serve` runs (supervisor, control socket, Hummingbird listener on a free loopback port), synced
/// against the simulator over real sockets and spoken to over real HTTP. Signatures are computed
/// by `openssl` and Python's `hmac`, never by the production code.
@Suite(.serialized) struct HTTPListenerTests {
    static let appSecret = "listener-app-secret"
    static let verifyToken = "listener-verify-token"
    static let cronSecret = "listener-cron-secret"

    // MARK: Verification handshake

    /// Should answer Meta's subscription handshake with the challenge as text/plain when mode and
    /// verify token match, and 403 for a wrong token, a wrong mode or a missing token.
    @Test func verificationHandshake() async throws {
        try await Self.withListener(Self.simulator(instagram: 1, tiktok: 0)) { listener in
            let ok = try await listener.send(
                .GET, "/webhooks/instagram?hub.mode=subscribe&hub.verify_token=\(Self.verifyToken)&hub.challenge=1158201444")
            #expect(ok.status == 200)
            #expect(ok.contentType.hasPrefix("text/plain"), "\(ok.contentType)")
            #expect(ok.text == "1158201444")

            for query in [
                "hub.mode=subscribe&hub.verify_token=wrong-token&hub.challenge=1158201444",
                "hub.mode=subscribe&hub.verify_token=\(Self.verifyToken)x&hub.challenge=1158201444",
                "hub.mode=unsubscribe&hub.verify_token=\(Self.verifyToken)&hub.challenge=1158201444",
                "hub.challenge=1158201444&hub.verify_token=\(Self.verifyToken)",
                "hub.mode=subscribe&hub.challenge=1158201444",
            ] {
                let refused = try await listener.send(.GET, "/webhooks/instagram?" + query)
                #expect(refused.status == 403, "\(query)")
                #expect(!refused.text.contains("1158201444"), "the challenge is not echoed on refusal")
            }
        }
    }

    // MARK: Signatures

    /// Should accept a delivery signed by `openssl dgst -sha256 -hmac` and sync that account with
    /// trigger webhook; should answer 401 to one flipped bit in the body or in the signature (or
    /// no signature at all) and queue nothing for the account named in those bodies.
    @Test func independentSignatureAcceptedFlippedBitRejected() async throws {
        try await Self.withListener(Self.simulator(instagram: 2, tiktok: 0)) { listener in
            let accepted = listener.accounts[0]
            let victim = listener.accounts[1]

            let body = Self.instagramBody([accepted.externalID])
            let signature = "sha256=" + (try IndependentHMAC.openssl(key: Self.appSecret, message: body))
            let ok = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", signature)], body: body)
            #expect(ok.status == 200, "\(ok.text)")
            try await eventually("the webhook sync of \(accepted)") { try listener.entries(accepted, .webhook).count == 1 }
            #expect(try listener.entries(accepted, .webhook).first?.status == .success)

            // A fresh body for the other account: every tampered variant is refused.
            let target = Self.instagramBody([victim.externalID])
            let hex = try IndependentHMAC.openssl(key: Self.appSecret, message: target)
            for index in [0, target.count / 2, target.count - 1] {
                var tampered = target
                tampered[index] ^= 0x01
                let answer = try await listener.send(
                    .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", "sha256=" + hex)], body: tampered)
                #expect(answer.status == 401, "body bit flipped at \(index)")
            }
            for index in [0, 31, 63] {
                let answer = try await listener.send(
                    .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", "sha256=" + Self.flipBit(hex, at: index))],
                    body: target)
                #expect(answer.status == 401, "signature bit flipped at hex digit \(index)")
            }
            let unsigned = try await listener.send(.POST, "/webhooks/instagram", body: target)
            #expect(unsigned.status == 401)
            let otherSecret = "sha256=" + (try IndependentHMAC.python(key: "not-the-app-secret", message: target))
            let wrongKey = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", otherSecret)], body: target)
            #expect(wrongKey.status == 401)

            // Flush the victim's mailbox with a manual run: a queued webhook trigger would run
            // before it (or merge into it), so exactly one new entry, manual, means none was queued.
            let manual = try await listener.daemon.supervisor.trigger(victim, .manual, wait: true)
            #expect(manual?.trigger == .manual)
            #expect(try listener.entries(victim, .webhook).isEmpty, "a rejected delivery queued a sync")
            #expect(try listener.entries(victim).map(\.trigger) == [.schedule, .manual])

            // The untouched body with the independent signature is still good.
            let original = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", "sha256=" + hex)], body: target)
            #expect(original.status == 200)
            let metrics = try await listener.metrics()
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["platform": "instagram", "result": "bad_signature"]) == 8)
        }
    }

    /// Should answer 401 to a correctly signed TikTok delivery whose `t` is more than 300 s in the
    /// past or the future, and accept the same body signed with the current time.
    @Test func tiktokStaleTimestampRejected() async throws {
        try await Self.withListener(Self.simulator(instagram: 0, tiktok: 1)) { listener in
            let account = listener.accounts[0]
            let body = Self.tiktokBody(
                openID: account.externalID, event: "post.publish.publicly_available", content: Self.publishContent)
            // `now` is rounded down and the daemon reads its clock later, so 301 s in the past is
            // always stale; in the future a margin is needed (the exact edge is a unit test's job).
            let now = Int(Date().timeIntervalSince1970)
            for t in [now - 301, now - 3_600, now + 600] {
                let header = try Self.tiktokSignature(body: body, timestamp: t)
                let stale = try await listener.send(
                    .POST, "/webhooks/tiktok", headers: [("TikTok-Signature", header)], body: body)
                #expect(stale.status == 401, "t = now \(t - now > 0 ? "+" : "")\(t - now)")
            }
            let fresh = try await listener.send(
                .POST, "/webhooks/tiktok", headers: [("TikTok-Signature", try Self.tiktokSignature(body: body, timestamp: now))],
                body: body)
            #expect(fresh.status == 200, "\(fresh.text)")
            try await eventually("the webhook sync") { try listener.entries(account, .webhook).count == 1 }
            let metrics = try await listener.metrics()
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["platform": "tiktok", "result": "bad_signature"]) == 3)
        }
    }

    // MARK: Batches, coalescing and duplicates

    /// Should turn one signed Meta batch of 1,000 entries (three known accounts, 100 unknown ids)
    /// into exactly three syncs with trigger webhook, and count the unknown ids in metrics.
    @Test func batchOfThousandEntriesSyncsEachAccountOnce() async throws {
        try await Self.withListener(Self.simulator(instagram: 3, tiktok: 0)) { listener in
            let known = listener.accounts.map(\.externalID)
            #expect(known.count == 3)
            var ids: [String] = []
            for index in 0..<1_000 {
                ids.append(index % 10 == 9 ? "178414999\(String(format: "%08d", index))" : known[index % 3])
            }
            let body = Self.instagramBody(ids)
            let signature = "sha256=" + (try IndependentHMAC.openssl(key: Self.appSecret, message: body))
            let before = try listener.entries().count

            let answer = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", signature)], body: body)
            #expect(answer.status == 200, "\(answer.text)")
            try await eventually("three webhook syncs") { try listener.entries(nil, .webhook).count >= 3 }

            // Any extra webhook run would be queued by now; a manual sync of every account runs
            // after it (or absorbs it), so the counts below are final.
            let flush = await listener.daemon.supervisor.syncAll(.manual)
            #expect(flush.total == 3 && flush.synced == 3)
            let webhook = try listener.entries(nil, .webhook)
            #expect(webhook.count == 3)
            #expect(Set(webhook.map(\.accountId)) == Set(listener.accounts.map(\.description)))
            #expect(webhook.allSatisfy { $0.status == .success })
            #expect(try listener.entries().count == before + 3 + 3, "3 webhook runs + 3 manual runs, nothing else")

            let metrics = try await listener.metrics()
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["platform": "instagram", "result": "accepted"]) == 1)
            #expect(
                metrics.sum("postsync_webhook_deliveries_total", ["platform": "instagram", "result": "unknown_account"]) == 100)
        }
    }

    /// Should answer 200 to a repeated delivery (the same raw body) and not sync again.
    @Test func duplicateDeliveryDoesNotResync() async throws {
        try await Self.withListener(Self.simulator(instagram: 2, tiktok: 0)) { listener in
            let account = listener.accounts[0]
            let body = Self.instagramBody([account.externalID])
            let header = [("X-Hub-Signature-256", "sha256=" + (try IndependentHMAC.python(key: Self.appSecret, message: body)))]
            let first = try await listener.send(.POST, "/webhooks/instagram", headers: header, body: body)
            #expect(first.status == 200)
            try await eventually("the first webhook sync") { try listener.entries(account, .webhook).count == 1 }
            let before = try listener.entries(account).count

            for _ in 0..<3 {
                let again = try await listener.send(.POST, "/webhooks/instagram", headers: header, body: body)
                #expect(again.status == 200, "a redelivery is acknowledged")
                #expect(again.text.contains("duplicate"))
            }
            let manual = try await listener.daemon.supervisor.trigger(account, .manual, wait: true)
            #expect(manual?.trigger == .manual)
            #expect(try listener.entries(account, .webhook).count == 1)
            #expect(try listener.entries(account).count == before + 1, "only the manual run")

            let metrics = try await listener.metrics()
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["platform": "instagram", "result": "duplicate"]) == 3)
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["platform": "instagram", "result": "accepted"]) == 1)
        }
    }

    // MARK: TikTok events

    /// Should put an account in needs_reauth with a SyncLog entry on a signed
    /// `authorization.removed`, and sync another known account with trigger webhook on any other event.
    @Test func tiktokAuthorizationRemovedAndOtherEvents() async throws {
        try await Self.withListener(Self.simulator(instagram: 0, tiktok: 2)) { listener in
            let removed = listener.accounts[0]
            let other = listener.accounts[1]
            let now = Int(Date().timeIntervalSince1970)

            let removal = Self.tiktokBody(
                openID: removed.externalID, event: "authorization.removed", content: #"{\"reason\": 1 }"#)
            let answer = try await listener.send(
                .POST, "/webhooks/tiktok",
                headers: [("TikTok-Signature", try Self.tiktokSignature(body: removal, timestamp: now))],
                body: removal)
            #expect(answer.status == 200, "\(answer.text)")
            try await eventually("needs_reauth") {
                try await listener.daemon.store.account(removed)?.state == .needsReauth
                    && !listener.entries(removed, .webhook).isEmpty
            }
            let entry = try #require(try listener.entries(removed, .webhook).last)
            #expect(entry.status == .error && entry.apiCalls == 0)
            #expect(entry.errorMessage?.contains("authorization removed") == true, "\(entry.errorMessage ?? "")")
            let view = try await listener.daemon.supervisor.accountViews().first { $0.id == removed.description }
            #expect(view?.state == .needsReauth)
            #expect(view?.lastStatus == .error, "lastStatus is the status of the account's last SyncLog entry")

            let publish = Self.tiktokBody(
                openID: other.externalID, event: "post.publish.publicly_available", content: Self.publishContent)
            let synced = try await listener.send(
                .POST, "/webhooks/tiktok",
                headers: [("TikTok-Signature", try Self.tiktokSignature(body: publish, timestamp: now))],
                body: publish)
            #expect(synced.status == 200)
            try await eventually("the webhook sync of \(other)") { try listener.entries(other, .webhook).count == 1 }
            #expect(try listener.entries(other, .webhook).first?.status == .success)
            #expect(try await listener.daemon.store.account(other)?.state == .idle)

            // An event for an unknown open_id is acknowledged and counted, not an error.
            let stranger = Self.tiktokBody(openID: "act.unknown0000000000000000", event: "post.publish.complete", content: "{}")
            let ignored = try await listener.send(
                .POST, "/webhooks/tiktok",
                headers: [("TikTok-Signature", try Self.tiktokSignature(body: stranger, timestamp: now))],
                body: stranger)
            #expect(ignored.status == 200)
            let metrics = try await listener.metrics()
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["platform": "tiktok", "result": "unknown_account"]) == 1)
            #expect(metrics.sum("postsync_accounts", ["state": "needs_reauth"]) == 1)
        }
    }

    // MARK: Cron

    /// Should answer 404 on the cron endpoint when no cron secret is configured, 401 for a wrong
    /// or missing bearer, and 200 with `{total, synced, failed, errors}` and one SyncLog entry with
    /// trigger cron per active account for the right one.
    @Test func cronEndpoint() async throws {
        try await Self.withListener(Self.simulator(instagram: 2, tiktok: 1)) { listener in
            let answer = try await listener.send(
                .POST, "/api/cron/sync-all", headers: [("Authorization", "Bearer \(Self.cronSecret)")])
            #expect(answer.status == 404)
            #expect(try listener.entries(nil, .cron).isEmpty)
        }
        let withCronSecret: @Sendable (inout Configuration) -> Void = { $0.cron.secret = Secret(Self.cronSecret) }
        try await Self.withListener(Self.simulator(instagram: 2, tiktok: 1), configure: withCronSecret) { listener in
            for headers in [
                [("Authorization", "Bearer wrong-secret")], [("Authorization", "Bearer \(Self.cronSecret)x")],
                [("Authorization", "Basic \(Self.cronSecret)")], [("Authorization", Self.cronSecret)], [],
            ] {
                let refused = try await listener.send(.POST, "/api/cron/sync-all", headers: headers)
                #expect(refused.status == 401, "\(headers)")
            }
            #expect(try listener.entries(nil, .cron).isEmpty)

            // One account's token is revoked at the platform: the summary reports it.
            let failing = listener.accounts.first { $0.platform == .instagram }!
            await listener.world.revokeToken(platform: "instagram", externalId: failing.externalID)
            let answer = try await listener.send(
                .POST, "/api/cron/sync-all", headers: [("Authorization", "Bearer \(Self.cronSecret)")])
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.contentType.hasPrefix("application/json"))
            let object = try #require(try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])
            #expect(Set(object.keys) == ["total", "synced", "failed", "errors"])
            let summary = try JSONCoding.decoder().decode(SyncAllSummary.self, from: answer.body)
            #expect(summary.total == 3 && summary.synced == 2 && summary.failed == 1)
            #expect(summary.errors.map(\.accountId) == [failing.description])
            let cron = try listener.entries(nil, .cron)
            #expect(cron.count == 3)
            #expect(Set(cron.map(\.accountId)) == Set(listener.accounts.map(\.description)))
            #expect(cron.filter { $0.status == .error }.map(\.accountId) == [failing.description])
        }
    }

    // MARK: Limits, health and metrics

    /// Should answer 413 to a body over `http.max_body` (1 KiB here) on every POST route, with or
    /// without a valid signature and with or without Content-Length, and still accept a small one.
    @Test func oversizedBodyGets413() async throws {
        let smallBodies: @Sendable (inout Configuration) -> Void = { $0.http.maxBody = 1_024 }
        try await Self.withListener(Self.simulator(instagram: 1, tiktok: 0), configure: smallBodies) { listener in
            let account = listener.accounts[0]
            let big = Self.instagramBody(Array(repeating: account.externalID, count: 20))
            #expect(big.count > 2_048)
            let signature = "sha256=" + (try IndependentHMAC.openssl(key: Self.appSecret, message: big))
            var answer = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", signature)], body: big)
            #expect(answer.status == 413, "validly signed but too large")
            answer = try await listener.send(.POST, "/webhooks/instagram", body: big)
            #expect(answer.status == 413, "unsigned and too large: 413, not 401")
            answer = try await listener.send(.POST, "/webhooks/tiktok", body: big)
            #expect(answer.status == 413)
            answer = try await listener.send(.POST, "/api/cron/sync-all", body: big)
            #expect(answer.status == 413)
            answer = try await listener.sendChunked(
                "/webhooks/instagram", headers: [("X-Hub-Signature-256", signature)], body: big)
            #expect(answer.status == 413, "chunked, no Content-Length")

            let small = Self.instagramBody([account.externalID])
            #expect(small.count < 1_024)
            let smallSignature = "sha256=" + (try IndependentHMAC.openssl(key: Self.appSecret, message: small))
            answer = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", smallSignature)], body: small)
            #expect(answer.status == 200)
            try await eventually("the small delivery's sync") { try listener.entries(account, .webhook).count == 1 }
        }
    }

    /// Should answer `/healthz` with 200 `{"status":"ok"}` while the supervisor answers, and
    /// 404/405 for unknown routes and methods.
    @Test func healthz() async throws {
        try await Self.withListener(Self.simulator(instagram: 1, tiktok: 1)) { listener in
            let answer = try await listener.send(.GET, "/healthz")
            #expect(answer.status == 200)
            #expect(answer.contentType.hasPrefix("application/json"))
            let object = try JSONSerialization.jsonObject(with: answer.body) as? [String: String]
            #expect(object == ["status": "ok"])
            #expect(try await listener.send(.POST, "/healthz").status == 405)
            #expect(try await listener.send(.GET, "/nope").status == 404)
        }
    }

    /// Should serve `/metrics` as Prometheus text (every sample line `name{labels} value` or
    /// `name value`) that counts what happened: syncs by trigger, webhook deliveries by result,
    /// accounts by state.
    @Test func metricsParseAndCount() async throws {
        try await Self.withListener(Self.simulator(instagram: 2, tiktok: 1)) { listener in
            let account = listener.accounts.first { $0.platform == .instagram }!
            let body = Self.instagramBody([account.externalID])
            let signature = "sha256=" + (try IndependentHMAC.openssl(key: Self.appSecret, message: body))
            var answer = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", signature)], body: body)
            #expect(answer.status == 200)
            answer = try await listener.send(
                .POST, "/webhooks/instagram", headers: [("X-Hub-Signature-256", signature)], body: body)
            #expect(answer.status == 200, "duplicate")
            answer = try await listener.send(
                .POST, "/webhooks/instagram",
                headers: [("X-Hub-Signature-256", "sha256=" + Self.flipBit(String(signature.dropFirst(7)), at: 5))],
                body: body)
            #expect(answer.status == 401)
            try await eventually("the webhook sync in the metrics") {
                try await listener.metrics().sum("postsync_syncs_total", ["trigger": "webhook"]) == 1
            }

            let response = try await listener.send(.GET, "/metrics")
            #expect(response.status == 200)
            #expect(response.contentType.hasPrefix("text/plain"), "\(response.contentType)")
            let exposition = try PrometheusText.parse(response.text)
            #expect(exposition.types["postsync_syncs_total"] == "counter")
            #expect(exposition.types["postsync_webhook_deliveries_total"] == "counter")
            #expect(exposition.types["postsync_sync_duration_seconds"] == "histogram")
            #expect(exposition.types["postsync_accounts"] == "gauge")

            let metrics = try await listener.metrics()
            #expect(metrics.sum("postsync_syncs_total", ["trigger": "webhook"]) == 1)
            #expect(
                metrics.sum("postsync_syncs_total", ["trigger": "webhook", "platform": "instagram", "status": "success"]) == 1)
            #expect(metrics.sum("postsync_syncs_total", ["trigger": "schedule"]) == 3)
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["result": "bad_signature"]) >= 1)
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["result": "duplicate"]) >= 1)
            #expect(metrics.sum("postsync_webhook_deliveries_total", ["result": "accepted"]) == 1)
            #expect(metrics.sum("postsync_sync_duration_seconds_count", [:]) == 4)
            #expect(metrics.sum("postsync_api_calls_total", ["platform": "instagram"]) >= 3)
            #expect(metrics.sum("postsync_posts_synced_total", [:]) >= 9, "3 accounts x 3 posts backfilled")
            #expect(metrics.sum("postsync_accounts", [:]) == 3)
            #expect(metrics.sum("postsync_accounts", ["state": "idle"]) == 3)
        }
    }

    /// Should reject what is not Prometheus text, so the parser above is not vacuous.
    @Test func prometheusParserRejectsMalformedLines() throws {
        let good = """
            # HELP a_total Things.
            # TYPE a_total counter
            a_total{platform="instagram",result="ok"} 3
            a_total{x="a \\"quoted\\" \\\\ value",} 1.5e3
            b 0
            c_bucket{le="+Inf"} +Inf
            d NaN 1700000000000

            """
        let parsed = try PrometheusText.parse(good)
        #expect(parsed.samples.count == 5)
        #expect(parsed.samples[1].labels["x"] == #"a "quoted" \ value"#)
        #expect(parsed.samples[1].value == 1_500)
        #expect(parsed.samples.sum("a_total", [:]) == 1_503)
        for bad in [
            "a_total 3 4 5", "a_total", "a_total{platform=instagram} 1", "a_total{platform=\"x\" 1", "9a 1", "a_total{} x",
            "a_total  1", "a_total{platform=\"x\"}1", "# TYPE a_total countr", "a-total 1", "a_total{=\"x\"} 1",
        ] {
            #expect(throws: PrometheusText.Malformed.self, "\(bad)") { try PrometheusText.parse(bad) }
        }
    }
}

// MARK: - Fixture

extension HTTPListenerTests {
    /// A running daemon with its HTTP listener, and the simulator it syncs from.
    struct Listener: Sendable {
        let world: SimulatorWorld
        let daemon: Daemon
        let port: Int
        /// The imported accounts, in the simulator's order.
        let accounts: [AccountID]

        /// One HTTP answer.
        struct Answer: Sendable {
            var status: Int
            var contentType: String
            var body: Data
            var text: String { String(decoding: body, as: UTF8.self) }
        }

        /// One request to the listener over loopback TCP (with Content-Length when there is a body).
        func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws
            -> Answer
        {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            request.headers.add(name: "Content-Type", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            return try await execute(request)
        }

        /// A POST whose body is streamed in 256-byte chunks without a Content-Length.
        func sendChunked(_ path: String, headers: [(String, String)] = [], body: Data) async throws -> Answer {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = .POST
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let chunks = stride(from: 0, to: body.count, by: 256).map { ByteBuffer(bytes: body[$0..<min($0 + 256, body.count)]) }
            let stream = AsyncStream<ByteBuffer> { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            request.body = .stream(stream, length: .unknown)
            return try await execute(request)
        }

        private func execute(_ request: HTTPClientRequest) async throws -> Answer {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let buffer = try await response.body.collect(upTo: 16 << 20)
            return Answer(
                status: Int(response.status.code), contentType: response.headers.first(name: "content-type") ?? "",
                body: Data(buffer.readableBytesView))
        }

        /// The SyncLog entries, optionally of one account and one trigger.
        func entries(_ account: AccountID? = nil, _ trigger: SyncTrigger? = nil) throws -> [SyncLogEntry] {
            try SyncLogReader(directory: daemon.stateDirectory).readAll().entries.filter {
                (account == nil || $0.accountId == account?.description) && (trigger == nil || $0.trigger == trigger)
            }
        }

        /// `GET /metrics`, parsed.
        func metrics() async throws -> [PrometheusText.Sample] {
            let answer = try await send(.GET, "/metrics")
            guard answer.status == 200 else { throw PrometheusText.Malformed(line: "HTTP \(answer.status)") }
            return try PrometheusText.parse(answer.text).samples
        }
    }

    /// A small world: a few posts per account keeps every sync one page.
    static func simulator(instagram: Int, tiktok: Int) -> SimulatorConfiguration {
        SimulatorConfiguration(seed: 21, instagramAccounts: instagram, tiktokAccounts: tiktok, postsPerAccount: 3)
    }

    /// Starts the daemon's services (supervisor, control socket, HTTP listener on a free loopback
    /// port) against a simulator, with every simulated account imported and its first scheduled
    /// sync done; runs `body`; then shuts down gracefully, as SIGTERM would.
    static func withListener<T: Sendable>(
        _ simulator: SimulatorConfiguration, configure: @escaping @Sendable (inout Configuration) -> Void = { _ in },
        _ body: @escaping @Sendable (Listener) async throws -> T
    ) async throws -> T {
        try await SimulatorHarness.with(simulator) { world, url in
            var configuration = SimulatorHarness.configuration(baseURL: url, simulator: simulator)
            configuration.http.listen = .address(host: "127.0.0.1", port: 0)
            configuration.sync.interval = .seconds(6 * 3_600)
            configuration.instagram.insights = false
            configuration.instagram.appSecret = Secret(appSecret)
            configuration.instagram.verifyToken = Secret(verifyToken)
            configure(&configuration)
            let directory = try temporaryDirectory("postsync-http")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let daemon = try await Daemon(
                configuration: configuration, stateDirectory: directory, seed: 1, fsync: .never, logger: testLogger())
            let accounts = try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
            let ready = Promise<Int?>()
            let group = ServiceGroup(
                configuration: .init(
                    services: daemon.services(onHTTPReady: { ready.fulfill($0) }).map { .init(service: $0) }, logger: testLogger()
                ))
            return try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    defer { ready.fulfill(nil) }
                    try await group.run()
                }
                let outcome: Result<T, any Error>
                if let port = await ready.value {
                    let listener = Listener(world: world, daemon: daemon, port: port, accounts: accounts)
                    do {
                        try await eventually("the first scheduled syncs") {
                            try listener.entries(nil, .schedule).count == accounts.count
                        }
                        outcome = .success(try await body(listener))
                    } catch {
                        outcome = .failure(error)
                    }
                } else {
                    outcome = .failure(TimedOut(what: "the HTTP listener (the service group ended first)"))
                }
                await group.triggerGracefulShutdown()
                do { try await tasks.waitForAll() } catch {
                    await daemon.close()
                    throw error
                }
                await daemon.close()
                return try outcome.get()
            }
        }
    }

    /// A Meta `instagram` delivery with one `comments` change per id (repeats allowed). Every
    /// body is unique (a fresh comment id), so no two calls are duplicates of each other.
    static func instagramBody(_ ids: [String]) -> Data {
        let time = Int(Date().timeIntervalSince1970)
        let nonce = UInt64.random(in: 1_000_000_000...9_999_999_999)
        let entries = ids.enumerated().map { index, id in
            #"{"id":"\#(id)","time":\#(time),"changes":[{"field":"comments","value":{"id":"178\#(nonce)\#(index)","#
                + #""text":"caf\u00e9 \/ nice","media":{"id":"17918195224117851"}}}]}"#
        }
        return Data((#"{"object":"instagram","entry":["# + entries.joined(separator: ",") + "]}").utf8)
    }

    /// A TikTok delivery; `content` is already escaped for inclusion in a JSON string.
    static func tiktokBody(openID: String, event: String, content: String) -> Data {
        let time = Int(Date().timeIntervalSince1970)
        return Data(
            #"{"client_key":"sim-client-key","event":"\#(event)","create_time":\#(time),"user_openid":"\#(openID)","content":"\#(content)"}"#
                .utf8)
    }

    /// `content` of `post.publish.publicly_available`, escaped.
    static let publishContent =
        #"{\"publish_id\":\"v_pub_file~v2-1.7\",\"post_id\":\"7350000000000000001\",\"publish_type\":\"DIRECT_POST\"}"#

    /// `t=<t>,s=<hex>` with the HMAC of `"<t>." + body` computed by Python under the simulator's
    /// (and the daemon's) TikTok client secret.
    static func tiktokSignature(body: Data, timestamp: Int) throws -> String {
        let hex = try IndependentHMAC.python(key: "sim-client-secret", message: Data("\(timestamp).".utf8) + body)
        return "t=\(timestamp),s=\(hex)"
    }

    /// Flips the lowest bit of the hex digit at `index`: one bit of the MAC changes.
    static func flipBit(_ hex: String, at index: Int) -> String {
        var digits = Array(hex)
        let value = Int(String(digits[index]), radix: 16)! ^ 1
        digits[index] = Character(String(value, radix: 16))
        return String(digits)
    }
}

// MARK: - Prometheus text format

/// A small, strict reader of the Prometheus text exposition format (version 0.0.4): `# HELP` and
/// `# TYPE` comments, and sample lines `name value [timestamp]` or `name{l="v",…} value [timestamp]`
/// with single spaces. Anything else is `Malformed`.
enum PrometheusText {
    /// One sample line.
    struct Sample: Sendable, Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// A parsed exposition.
    struct Exposition {
        var samples: [Sample]
        /// Metric family name → `counter`, `gauge`, `histogram`, `summary` or `untyped`.
        var types: [String: String]
    }

    /// A line that is not Prometheus text.
    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var description: String { "not a Prometheus text line: \(line)" }
    }

    static func parse(_ text: String) throws -> Exposition {
        var exposition = Exposition(samples: [], types: [:])
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) where !line.isEmpty {
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3).map(String.init)
                if words.count >= 2, words[1] == "TYPE" {
                    guard words.count == 4, isMetricName(words[2]),
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3])
                    else { throw Malformed(line: line) }
                    exposition.types[words[2]] = words[3]
                } else if words.count >= 2, words[1] == "HELP" {
                    guard words.count >= 3, isMetricName(words[2]) else { throw Malformed(line: line) }
                }
                continue
            }
            exposition.samples.append(try sample(line))
        }
        return exposition
    }

    private static func sample(_ line: String) throws -> Sample {
        let characters = Array(line)
        var index = 0
        var name = ""
        while index < characters.count, characters[index] != "{", characters[index] != " " {
            name.append(characters[index])
            index += 1
        }
        guard isMetricName(name) else { throw Malformed(line: line) }
        var labels: [String: String] = [:]
        if index < characters.count, characters[index] == "{" {
            index += 1
            while true {
                guard index < characters.count else { throw Malformed(line: line) }
                if characters[index] == "}" {
                    index += 1
                    break
                }
                var label = ""
                while index < characters.count, characters[index] != "=" {
                    label.append(characters[index])
                    index += 1
                }
                guard isLabelName(label), index + 1 < characters.count, characters[index + 1] == "\"" else {
                    throw Malformed(line: line)
                }
                index += 2
                var value = ""
                while true {
                    guard index < characters.count else { throw Malformed(line: line) }
                    let character = characters[index]
                    index += 1
                    if character == "\"" { break }
                    if character == "\\" {
                        guard index < characters.count else { throw Malformed(line: line) }
                        switch characters[index] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw Malformed(line: line)
                        }
                        index += 1
                    } else {
                        value.append(character)
                    }
                }
                labels[label] = value
                guard index < characters.count else { throw Malformed(line: line) }
                if characters[index] == "," { index += 1 } else if characters[index] != "}" { throw Malformed(line: line) }
            }
        }
        guard index < characters.count, characters[index] == " " else { throw Malformed(line: line) }
        let rest = String(characters[(index + 1)...]).split(separator: " ", omittingEmptySubsequences: false)
        guard rest.count == 1 || rest.count == 2, let value = number(String(rest[0])) else { throw Malformed(line: line) }
        if rest.count == 2, Int64(rest[1]) == nil { throw Malformed(line: line) }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard let first = text.first, first.isNumber || first == "-" || first == "+" || first == "." else { return nil }
            return Double(text)
        }
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    private static func isMetricName(_ name: String) -> Bool {
        isName(name, colon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`.
    private static func isLabelName(_ name: String) -> Bool {
        isName(name, colon: false)
    }

    private static func isName(_ name: String, colon: Bool) -> Bool {
        func letter(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || (colon && c == ":")
        }
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, letter(first) else { return false }
        return scalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}

extension [PrometheusText.Sample] {
    /// The sum of the samples named `name` whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String]) -> Double {
        filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }
}
