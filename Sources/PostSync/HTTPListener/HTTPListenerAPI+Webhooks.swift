import Foundation
import HTTPTypes
import Hummingbird
import Logging

extension HTTPListenerAPI {
    /// `POST /webhooks/instagram`: the signature is checked over the exact raw body before anything
    /// is parsed; then each known `entry[].id` gets a sync (coalesced by the account's mailbox).
    /// The answer is immediate: the syncs run after it.
    func instagramWebhook(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<ListenerStatus> {
        let body = context.body
        guard let key = secrets.instagramKey,
            WebhookSignature.verifyMeta(body: body, header: Self.header(.hubSignature, of: request), key: key)
        else {
            metrics.webhook(.instagram, result: "bad_signature")
            logger.warning(
                "webhook signature rejected",
                metadata: ["webhook.platform": "instagram", "http.remote": "\(context.remoteAddress)"])
            throw ControlError.badSignature("missing or invalid X-Hub-Signature-256")
        }
        // Meta retries for 36 hours: a body already seen is acknowledged and ignored. Keyed by the
        // body's own digest, not its MAC: a retry signed with a reloaded secret is the same body.
        if deduplicator.isDuplicate(body, now: clock.now) {
            metrics.webhook(.instagram, result: "duplicate")
            return JSONResponse(.duplicate)
        }
        let ids: [String]
        do { ids = try WebhookPayload.instagramAccountIDs(body) } catch {
            metrics.webhook(.instagram, result: "malformed")
            throw ControlError.invalidRequest("not an Instagram webhook payload")
        }
        var unknown = 0
        for externalID in ids {
            let id = AccountID(platform: .instagram, externalID: externalID)
            do { _ = try await supervisor.trigger(id, .webhook, wait: false) } catch { unknown += 1 }
        }
        metrics.webhook(.instagram, result: "accepted")
        if unknown > 0 { metrics.webhook(.instagram, result: "unknown_account", count: unknown) }
        return JSONResponse(.ok)
    }

    /// `POST /webhooks/tiktok`: `TikTok-Signature` over `t + "." + body`, `t` within 300 s.
    /// `authorization.removed` puts the account in `needs_reauth` at once; any other event for a
    /// known account syncs it. An event for an unknown account is acknowledged and counted.
    func tiktokWebhook(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<ListenerStatus> {
        let body = context.body
        let header = Self.header(.tiktokSignature, of: request)
        let verdict = WebhookSignature.verifyTikTok(body: body, header: header, key: secrets.tiktokKey, now: clock.now)
        guard verdict == .valid else {
            metrics.webhook(.tiktok, result: "bad_signature")
            logger.warning(
                "webhook signature rejected",
                metadata: [
                    "webhook.platform": "tiktok", "webhook.verdict": "\(verdict)", "http.remote": "\(context.remoteAddress)",
                ])
            throw ControlError.badSignature("missing, stale or invalid TikTok-Signature")
        }
        if deduplicator.isDuplicate(body, now: clock.now) {
            metrics.webhook(.tiktok, result: "duplicate")
            return JSONResponse(.duplicate)
        }
        let event: TikTokWebhookEvent
        do { event = try WebhookPayload.tiktokEvent(body) } catch {
            metrics.webhook(.tiktok, result: "malformed")
            throw ControlError.invalidRequest("not a TikTok webhook payload")
        }
        guard let openID = event.userOpenID else {
            metrics.webhook(.tiktok, result: "accepted")
            return JSONResponse(.ok)
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
        return JSONResponse(.ok)
    }

    /// A signature header; when it is repeated the last one counts.
    static func header(_ name: HTTPField.Name, of request: Request) -> String? {
        request.headers[values: name].last
    }
}

extension HTTPField.Name {
    /// Meta's `X-Hub-Signature-256`.
    static let hubSignature = Self("X-Hub-Signature-256")!
    /// TikTok's `TikTok-Signature`.
    static let tiktokSignature = Self("TikTok-Signature")!
}
