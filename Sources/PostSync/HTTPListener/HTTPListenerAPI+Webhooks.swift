import Foundation

extension HTTPListenerAPI {
    /// `POST /webhooks/instagram`: the signature is checked over the exact raw body before anything
    /// is parsed; then each known `entry[].id` gets a sync (coalesced by the account's mailbox).
    /// The answer is immediate: the syncs run after it.
    func instagramWebhook(_ request: Request) async -> Response {
        guard let secret = secrets.instagramAppSecret,
              WebhookSignature.verifyMeta(body: request.body, header: request.headers["x-hub-signature-256"], appSecret: secret)
        else {
            metrics.webhook(.instagram, result: "bad_signature")
            logger.warning("webhook signature rejected", metadata: ["webhook.platform": "instagram", "http.remote": "\(request.remoteAddress)"])
            return .json(#"{"error":{"code":"bad_signature","message":"missing or invalid X-Hub-Signature-256"}}"#, status: 401)
        }
        // Meta retries for 36 hours: a body already seen is acknowledged and ignored.
        if deduplicator.isDuplicate(request.body, now: clock.now) {
            metrics.webhook(.instagram, result: "duplicate")
            return .json(#"{"status":"duplicate"}"#)
        }
        let ids: [String]
        do { ids = try WebhookPayload.instagramAccountIDs(request.body) } catch {
            metrics.webhook(.instagram, result: "malformed")
            return .json(#"{"error":{"code":"invalid_request","message":"not an Instagram webhook payload"}}"#, status: 400)
        }
        var unknown = 0
        for externalID in ids {
            let id = AccountID(platform: .instagram, externalID: externalID)
            do { _ = try await supervisor.trigger(id, .webhook, wait: false) } catch { unknown += 1 }
        }
        metrics.webhook(.instagram, result: "accepted")
        if unknown > 0 { metrics.webhook(.instagram, result: "unknown_account", count: unknown) }
        return .json(#"{"status":"ok"}"#)
    }

    /// `POST /webhooks/tiktok`: `TikTok-Signature` over `t + "." + body`, `t` within 300 s.
    /// `authorization.removed` puts the account in `needs_reauth` at once; any other event for a
    /// known account syncs it.
    func tiktokWebhook(_ request: Request) async -> Response {
        let verdict: TikTokSignatureResult = secrets.tiktokClientSecret.map {
            WebhookSignature.verifyTikTok(body: request.body, header: request.headers["tiktok-signature"], clientSecret: $0, now: clock.now)
        } ?? .missing
        guard verdict == .valid else {
            metrics.webhook(.tiktok, result: "bad_signature")
            logger.warning("webhook signature rejected", metadata: [
                "webhook.platform": "tiktok", "webhook.verdict": "\(verdict)", "http.remote": "\(request.remoteAddress)",
            ])
            return .json(#"{"error":{"code":"bad_signature","message":"missing, stale or invalid TikTok-Signature"}}"#, status: 401)
        }
        if deduplicator.isDuplicate(request.body, now: clock.now) {
            metrics.webhook(.tiktok, result: "duplicate")
            return .json(#"{"status":"duplicate"}"#)
        }
        let event: TikTokWebhookEvent
        do { event = try WebhookPayload.tiktokEvent(request.body) } catch {
            metrics.webhook(.tiktok, result: "malformed")
            return .json(#"{"error":{"code":"invalid_request","message":"not a TikTok webhook payload"}}"#, status: 400)
        }
        guard let openID = event.userOpenID else {
            metrics.webhook(.tiktok, result: "accepted")
            return .json(#"{"status":"ok"}"#)
        }
        let id = AccountID(platform: .tiktok, externalID: openID)
        do {
            if event.event == TikTokWebhookEvent.authorizationRemoved {
                let reason = event.reason.map { " (reason \($0))" } ?? ""
                try await supervisor.authorizationRemoved(id, reason: "TikTok authorization removed by the user\(reason)")
            } else {
                _ = try await supervisor.trigger(id, .webhook, wait: false)
            }
            metrics.webhook(.tiktok, result: "accepted")
        } catch {
            metrics.webhook(.tiktok, result: "unknown_account")
        }
        return .json(#"{"status":"ok"}"#)
    }
}
