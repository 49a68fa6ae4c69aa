import Foundation

/// Something that happened in the simulated world that a platform could announce by webhook.
///
/// The world only emits these on `SimulatorWorld.events`; delivering them (signed, to a webhook
/// URL) is a separate component that can subscribe later without touching the world's logic.
public struct SimulatorEvent: Sendable, Codable, Equatable {
    /// What happened: `post.published`, `metrics.changed`, `token.expired` or `authorization.removed`.
    public var kind: String
    /// `"instagram"` or `"tiktok"`.
    public var platform: String
    /// The account's external id.
    public var externalId: String
    /// The post concerned, when there is one.
    public var postId: String?
    /// When it happened.
    public var at: Date

    /// Creates an event.
    public init(kind: String, platform: String, externalId: String, postId: String?, at: Date) {
        self.kind = kind
        self.platform = platform
        self.externalId = externalId
        self.postId = postId
        self.at = at
    }
}
