import Foundation

/// One TikTok webhook delivery, decoded by `WebhookPayload.tiktokEvent(_:)`.
///
/// The documented envelope is
/// `{"client_key","event","create_time","user_openid","content":"<JSON string>"}`;
/// `user_openid` is absent on `portability.download.ready`.
public struct TikTokWebhookEvent: Sendable, Equatable {
    /// `authorization.removed`: the user deauthorised the app (their tokens are already revoked).
    public static let authorizationRemoved = "authorization.removed"

    /// The app's client key (empty when absent).
    public var clientKey: String
    /// The event name, e.g. `authorization.removed` or `post.publish.publicly_available`.
    public var event: String
    /// When TikTok created the event, Unix seconds (0 when absent).
    public var createTime: Int64
    /// The account's `open_id`; nil when absent or empty.
    public var userOpenID: String?
    /// The decoded `content`; nil when absent or not a JSON object.
    public var content: Content?

    /// Creates an event value.
    public init(clientKey: String, event: String, createTime: Int64, userOpenID: String?, content: Content?) {
        self.clientKey = clientKey
        self.event = event
        self.createTime = createTime
        self.userOpenID = userOpenID
        self.content = content
    }

    /// `content.reason` of `authorization.removed`: 0 unknown, 1 the user disconnected, 2 account
    /// deleted, 3 age changed, 4 account banned, 5 the developer revoked authorisation.
    public var reason: Int? { content?.reason }

    /// The fields of `content` the daemon may use; every one is optional and a field of an
    /// unexpected type is left nil rather than failing the delivery.
    public struct Content: Sendable, Equatable, Decodable {
        /// `reason` (`authorization.removed`, `post.publish.failed`).
        public var reason: Int?
        /// `publish_id` (`post.publish.*`).
        public var publishID: String?
        /// `post_id`: the public video id (`post.publish.publicly_available` and its opposite).
        public var postID: String?
        /// `publish_type`, e.g. `DIRECT_PUBLISH` (`post.publish.*`).
        public var publishType: String?

        /// Creates a content value.
        public init(reason: Int? = nil, publishID: String? = nil, postID: String? = nil, publishType: String? = nil) {
            self.reason = reason
            self.publishID = publishID
            self.postID = postID
            self.publishType = publishType
        }

        private enum CodingKeys: String, CodingKey {
            case reason
            case publishID = "publish_id"
            case postID = "post_id"
            case publishType = "publish_type"
        }

        /// Decodes leniently: numbers where strings are expected (and the reverse for `reason`)
        /// are accepted, anything else becomes nil.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let reasonText = try? container.decodeIfPresent(FlexibleText.self, forKey: .reason)
            reason = reasonText.flatMap { Int($0.text) }
            publishID = (try? container.decodeIfPresent(FlexibleText.self, forKey: .publishID))?.text
            postID = (try? container.decodeIfPresent(FlexibleText.self, forKey: .postID))?.text
            publishType = try? container.decodeIfPresent(String.self, forKey: .publishType)
        }
    }
}
