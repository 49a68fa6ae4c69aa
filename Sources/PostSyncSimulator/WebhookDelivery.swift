import Foundation

/// One webhook the simulator sends, before it is serialised and signed by `WebhookSender`.
public enum WebhookDelivery: Sendable, Equatable {
    /// A Meta delivery: one `entry` for the account with one change of `field`.
    case instagram(accountID: String, field: String, mediaID: String?)
    /// A TikTok delivery; `content` is the inner JSON document, sent as a string.
    case tiktok(openID: String, event: String, content: String)

    /// The delivery a real platform would make for a world event, or nil when it would make none.
    ///
    /// - `post.published`: neither platform announces a native post. Instagram's realistic
    ///   trigger is a `comments` change on the new media (someone comments soon after); TikTok's
    ///   closest event is `post.publish.publicly_available` (strictly, only for posts made through
    ///   the Content Posting API).
    /// - `authorization.removed`: TikTok sends `authorization.removed` (reason 1, the user
    ///   disconnected); Instagram has no webhook for it.
    /// - `webhook.requested`: whatever `detail` names, for the account.
    /// - Everything else (`metrics.changed`, `token.expired`): nothing, as on the real platforms.
    public static func forEvent(_ event: SimulatorEvent) -> WebhookDelivery? {
        switch (event.kind, event.platform) {
        case ("post.published", "instagram"):
            return .instagram(accountID: event.externalId, field: "comments", mediaID: event.postId)
        case ("post.published", "tiktok"):
            let name = "post.publish.publicly_available"
            return .tiktok(openID: event.externalId, event: name, content: tiktokContent(event: name, postId: event.postId))
        case ("authorization.removed", "tiktok"):
            let name = "authorization.removed"
            return .tiktok(openID: event.externalId, event: name, content: tiktokContent(event: name, postId: nil))
        case ("webhook.requested", "instagram"):
            return .instagram(accountID: event.externalId, field: event.detail ?? "comments", mediaID: event.postId)
        case ("webhook.requested", "tiktok"):
            guard let name = event.detail else { return nil }
            return .tiktok(openID: event.externalId, event: name, content: tiktokContent(event: name, postId: event.postId))
        default:
            return nil
        }
    }

    /// The documented `content` of a TikTok event, serialised (the envelope carries it as a string).
    ///
    /// `authorization.removed` → `{"reason":1}`; `post.publish.*` → `publish_id`, `post_id` (for
    /// the public-availability events) and `publish_type`; anything else → `{}`.
    public static func tiktokContent(event: String, postId: String?) -> String {
        var members: [(String, JSONValue)] = []
        if event == "authorization.removed" {
            members.append(("reason", .int(1)))
        } else if event.hasPrefix("post.publish.") {
            // Content Posting publish ids look like `v_pub_file~v2-1.<digits>`.
            members.append(("publish_id", .string("v_pub_file~v2-1.\(postId ?? "0")")))
            if event.hasSuffix("publicly_available") || event.hasSuffix("publicaly_available"), let postId {
                members.append(("post_id", .string(postId)))
            }
            members.append(("publish_type", .string("DIRECT_PUBLISH")))
        }
        return JSONValue.object(members).serialized()
    }
}
