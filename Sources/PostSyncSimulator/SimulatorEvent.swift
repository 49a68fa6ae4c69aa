import Foundation

/// Something that happened in the simulated world that a platform could announce by webhook.
///
/// The world only emits these on `SimulatorWorld.events`; delivering them (signed, to a webhook
/// URL) is a separate component that can subscribe later without touching the world's logic.
public struct SimulatorEvent: Sendable, Codable, Equatable {
    /// What happened: `post.published`, `metrics.changed`, `token.expired`, `authorization.removed`,
    /// or `webhook.requested` (an on-demand delivery asked for through `POST /_sim/webhook`).
    public var kind: String
    /// `"instagram"` or `"tiktok"`.
    public var platform: String
    /// The account's external id.
    public var externalId: String
    /// The post concerned, when there is one.
    public var postId: String?
    /// When it happened.
    public var at: Date
    /// For `webhook.requested`: the Instagram field (`comments`, `mentions`, …) or TikTok event
    /// (`authorization.removed`, `post.publish.publicly_available`, …) to deliver; nil otherwise.
    public var detail: String?

    /// Creates an event.
    public init(kind: String, platform: String, externalId: String, postId: String?, at: Date, detail: String? = nil) {
        self.kind = kind
        self.platform = platform
        self.externalId = externalId
        self.postId = postId
        self.at = at
        self.detail = detail
    }
}
