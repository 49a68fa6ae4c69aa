import Foundation

extension SimulatorWorld {
    /// Asks for one webhook delivery now: emits a `webhook.requested` event, which the
    /// `WebhookForwarder` (if one is running) turns into a signed delivery.
    ///
    /// This only announces; it changes nothing in the world. For a realistic deauthorisation,
    /// `revokeToken` both kills the tokens and emits the event TikTok would send.
    /// - Parameters:
    ///   - platform: `"instagram"` or `"tiktok"`.
    ///   - externalId: The account's external id.
    ///   - event: The Instagram field (`comments`, `mentions`, …) or TikTok event name.
    ///   - postId: The post concerned, if any (an Instagram `comments` change names its media).
    /// - Returns: The emitted event, or nil for an unknown account.
    @discardableResult
    public func requestWebhook(platform: String, externalId: String, event: String, postId: String?) -> SimulatorEvent? {
        guard let account = account(platform: platform, externalId: externalId) else { return nil }
        return emit("webhook.requested", accountKey: account.key, postId: postId, detail: event)
    }

    /// `POST /_sim/webhook?account=…&event=…[&post=ID]`: validates the request and emits the event.
    /// Without `post`, the account's newest post (if any) is the subject. Answers 202 with the
    /// event, since delivery happens afterwards, outside the world.
    func requestWebhook(query: [String: String]) -> SimulatorHTTPResponse {
        guard configuration.webhookURL != nil else {
            return adminError(409, "no webhook URL is configured; start the simulator with --webhook-url")
        }
        guard let target = Self.parseAccountParameter(query["account"]),
            account(platform: target.platform, externalId: target.externalId) != nil
        else { return adminError(404, "unknown account; use account=instagram:<id> or account=tiktok:<open_id>") }
        guard let event = query["event"], !event.isEmpty else {
            return adminError(400, "event is required, e.g. event=comments or event=authorization.removed")
        }
        let posts = posts(platform: target.platform, externalId: target.externalId)
        let postId: String?
        if let requested = query["post"] {
            guard posts.contains(where: { $0.id == requested }) else { return adminError(404, "unknown post \(requested)") }
            postId = requested
        } else {
            postId = posts.first?.id
        }
        guard let emitted = requestWebhook(platform: target.platform, externalId: target.externalId, event: event, postId: postId)
        else {
            return adminError(404, "unknown account")
        }
        return .encoded(202, emitted)
    }
}
