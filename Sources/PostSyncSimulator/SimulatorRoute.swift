import Foundation

/// Which simulated endpoint a request addresses; a pure function of method and path.
enum SimulatorRoute: Equatable, Sendable {
    /// `GET /{version}/{ig-user-id|me}/media`
    case instagramMedia(userId: String)
    /// `GET /{version}/{media-id}/insights`
    case instagramInsights(mediaId: String)
    /// `GET /{version}/{ig-user-id|me}` (profile fields)
    case instagramUser(userId: String)
    /// `GET /refresh_access_token` (Instagram Login only)
    case instagramRefresh
    /// `POST /v2/video/list/`
    case tiktokVideoList
    /// `POST /v2/video/query/`
    case tiktokVideoQuery
    /// `GET /v2/user/info/`
    case tiktokUserInfo
    /// `POST /v2/oauth/token/`
    case tiktokOAuthToken
    /// `GET /oauth/authorize` (Instagram Login's consent screen)
    case instagramAuthorize
    /// `POST /oauth/access_token` (Instagram Login's code exchange, api.instagram.com)
    case instagramCodeExchange
    /// `GET /access_token?grant_type=ig_exchange_token`
    case instagramExchangeToken
    /// `GET /{version}/dialog/oauth` (Facebook Login's consent screen)
    case facebookDialog
    /// `GET /{version}/oauth/access_token` (code exchange and `fb_exchange_token`)
    case facebookToken
    /// `GET /{version}/me/accounts`
    case facebookPages
    /// `GET /v2/auth/authorize/` (TikTok's consent screen)
    case tiktokAuthorize
    /// Anything under `/_sim/`; `action` is the rest of the path (`accounts`, `fault`, …).
    case admin(action: String)
    /// No such endpoint.
    case notFound

    /// The stable endpoint name used by the request log and by fault injection.
    var endpoint: String {
        switch self {
        case .instagramMedia: "instagram.media"
        case .instagramInsights: "instagram.insights"
        case .instagramUser: "instagram.user"
        case .instagramRefresh: "instagram.refresh"
        case .tiktokVideoList: "tiktok.video.list"
        case .tiktokVideoQuery: "tiktok.video.query"
        case .tiktokUserInfo: "tiktok.user.info"
        case .tiktokOAuthToken: "tiktok.oauth.token"
        case .instagramAuthorize: "instagram.oauth.authorize"
        case .instagramCodeExchange: "instagram.oauth.token"
        case .instagramExchangeToken: "instagram.oauth.exchange"
        case .facebookDialog: "instagram.facebook.dialog"
        case .facebookToken: "instagram.facebook.token"
        case .facebookPages: "instagram.facebook.pages"
        case .tiktokAuthorize: "tiktok.oauth.authorize"
        case .admin(let action): "admin.\(action)"
        case .notFound: "unknown"
        }
    }

    /// `"instagram"`, `"tiktok"`, or nil for admin and unknown routes.
    var platform: String? {
        switch self {
        case .instagramMedia, .instagramInsights, .instagramUser, .instagramRefresh, .instagramAuthorize,
            .instagramCodeExchange, .instagramExchangeToken, .facebookDialog, .facebookToken, .facebookPages:
            "instagram"
        case .tiktokVideoList, .tiktokVideoQuery, .tiktokUserInfo, .tiktokOAuthToken, .tiktokAuthorize: "tiktok"
        case .admin, .notFound: nil
        }
    }

    /// Matches a request. Trailing slashes are ignored (TikTok documents them, clients vary), and
    /// any Graph API version segment (`v25.0`, `v19.0`, or none at all) is accepted for Instagram.
    static func match(method: String, path: String) -> SimulatorRoute {
        let segments = path.split(separator: "/").map(String.init)
        if segments.first == "_sim" {
            return .admin(action: segments.dropFirst().joined(separator: "/"))
        }
        // TikTok first: its `v2` prefix would otherwise look like a Graph API version.
        switch (method, segments.joined(separator: "/")) {
        case ("POST", "v2/video/list"): return .tiktokVideoList
        case ("POST", "v2/video/query"): return .tiktokVideoQuery
        case ("GET", "v2/user/info"): return .tiktokUserInfo
        case ("POST", "v2/oauth/token"): return .tiktokOAuthToken
        case ("GET", "v2/auth/authorize"): return .tiktokAuthorize
        case ("POST", "oauth/access_token"): return .instagramCodeExchange
        default: break
        }
        guard method == "GET" else { return .notFound }
        var rest = segments
        if let first = rest.first, isGraphVersion(first) {
            rest.removeFirst()
        }
        if rest == ["refresh_access_token"] { return .instagramRefresh }
        if rest == ["oauth", "authorize"] { return .instagramAuthorize }
        if rest == ["access_token"] { return .instagramExchangeToken }
        if rest == ["dialog", "oauth"] { return .facebookDialog }
        if rest == ["oauth", "access_token"] { return .facebookToken }
        if rest == ["me", "accounts"] { return .facebookPages }
        if rest.count == 2, rest[1] == "media" { return .instagramMedia(userId: rest[0]) }
        if rest.count == 2, rest[1] == "insights" { return .instagramInsights(mediaId: rest[0]) }
        if rest.count == 1, rest[0] == "me" || isNumeric(rest[0]) { return .instagramUser(userId: rest[0]) }
        return .notFound
    }

    /// `v25.0`, `v2`, …
    private static func isGraphVersion(_ segment: String) -> Bool {
        guard segment.hasPrefix("v") else { return false }
        let number = segment.dropFirst()
        let pieces = number.split(separator: ".", omittingEmptySubsequences: false)
        return !number.isEmpty && pieces.count <= 2 && pieces.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
    }

    private static func isNumeric(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy(\.isNumber)
    }
}
