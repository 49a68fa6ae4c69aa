import Foundation

// TikTok v2 JSON shapes (reference/tiktok.md §1–§3, tiktok-shapes.md). The API envelope's
// `error` is an object; the OAuth endpoint's `error` is a string: two decoders.

/// `{"data":{…},"error":{"code","message","log_id"}}`; `data` may be `{}` or missing on errors.
struct TikTokEnvelope<Payload: Decodable>: Decodable {
    var data: Payload?
    var error: TikTokAPIError

    init(data: Payload?, error: TikTokAPIError) {
        self.data = data
        self.error = error
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        error = try container.decode(TikTokAPIError.self, forKey: .error)
        // On errors `data` is `{}` or absent, which the payload type cannot decode.
        data = error.code == "ok" ? try container.decodeIfPresent(Payload.self, forKey: .data) : nil
    }

    enum CodingKeys: String, CodingKey { case data, error }
}

extension TikTokEnvelope: Equatable where Payload: Equatable {}

/// The envelope's error object; `code == "ok"` means success.
struct TikTokAPIError: Decodable, Equatable {
    var code: String
    var message: String?
    var logId: String?

    enum CodingKeys: String, CodingKey {
        case code, message
        case logId = "log_id"
    }
}

/// `data` of `/v2/video/list/` and `/v2/video/query/`.
struct TikTokVideoPage: Decodable, Equatable {
    var videos: [TikTokVideo]?
    var cursor: Int64?
    var hasMore: Bool?

    enum CodingKeys: String, CodingKey {
        case videos, cursor
        case hasMore = "has_more"
    }
}

/// A Video Object with the fields `postsync` asks for; all but `id` optional.
struct TikTokVideo: Decodable, Equatable {
    var id: String
    var createTime: Int64?
    var title: String?
    var videoDescription: String?
    var shareURL: String?
    var likeCount: Int64?
    var commentCount: Int64?
    var shareCount: Int64?
    var viewCount: Int64?

    enum CodingKeys: String, CodingKey {
        case id, title
        case createTime = "create_time"
        case videoDescription = "video_description"
        case shareURL = "share_url"
        case likeCount = "like_count"
        case commentCount = "comment_count"
        case shareCount = "share_count"
        case viewCount = "view_count"
    }
}

/// `data` of `/v2/user/info/`.
struct TikTokUserInfo: Decodable {
    var user: User

    struct User: Decodable {
        var openId: String?
        var displayName: String?
        var username: String?

        enum CodingKeys: String, CodingKey {
            case openId = "open_id"
            case displayName = "display_name"
            case username
        }
    }
}

/// `POST /v2/oauth/token/` (refresh and code exchange): a token pair at the top level, or `{"error": "<string>", …}`.
struct TikTokTokenAnswer: Decodable {
    var accessToken: String?
    var expiresIn: Int64?
    var openId: String?
    var refreshToken: String?
    var refreshExpiresIn: Int64?
    /// The scopes the user granted, comma-separated (a user may untick some).
    var scope: String?
    var error: String?
    var errorDescription: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case expiresIn = "expires_in"
        case openId = "open_id"
        case refreshToken = "refresh_token"
        case refreshExpiresIn = "refresh_expires_in"
        case scope
        case error
        case errorDescription = "error_description"
    }
}
