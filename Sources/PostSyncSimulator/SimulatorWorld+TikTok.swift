import Foundation

extension SimulatorWorld {
    /// The Video Object fields of the Display API (tiktok-api-v2-video-object).
    static let tiktokVideoFields: Set<String> = [
        "id", "create_time", "cover_image_url", "share_url", "video_description", "duration", "height", "width",
        "title", "embed_html", "embed_link", "like_count", "comment_count", "share_count", "view_count",
    ]

    /// The User Object fields of `/v2/user/info/` (all scopes are treated as granted).
    static let tiktokUserFields: Set<String> = [
        "open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name", "bio_description",
        "profile_deep_link", "is_verified", "username", "follower_count", "following_count", "likes_count", "video_count",
    ]

    /// Checks `Authorization: Bearer <access token>`; anything but a live token is HTTP 401 `access_token_invalid`.
    func authorizeTikTok(_ request: SimulatorHTTPRequest, now: Date) -> PlatformAuth {
        guard let token = request.bearerToken, let record = tiktokAccessTokens[token], record.valid, record.expiresAt > now else {
            return .denied(TikTokResponses.accessTokenInvalid(logId: nextLogId()))
        }
        return .granted(accountKey: record.accountKey)
    }

    /// The checks every TikTok read endpoint makes first: a valid bearer token, then a valid
    /// `fields` list.
    func authorizedFields(
        _ request: SimulatorHTTPRequest, now: Date, allowed: Set<String>
    ) -> Result<(accountKey: String, fields: [String]), RejectedRequest> {
        switch authorizeTikTok(request, now: now) {
        case .denied(let response): return .failure(RejectedRequest(answer: response))
        case .granted(let key): return tiktokFields(request, allowed: allowed).map { (key, $0) }
        }
    }

    /// `POST /v2/video/list/?fields=…` with `{"max_count":N,"cursor":ms}`: newest first, videos
    /// created strictly before `cursor`; the answer's cursor is the last video's `create_time × 1000`.
    func tiktokVideoList(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        let accountKey: String
        let fields: [String]
        switch authorizedFields(request, now: now, allowed: Self.tiktokVideoFields) {
        case .success(let granted): (accountKey, fields) = granted
        case .failure(let rejected): return rejected.answer
        }
        guard let body = Self.decodeBody(ListBody.self, from: request.body) else {
            return TikTokResponses.invalidParams("The request body is not valid JSON.", logId: nextLogId())
        }
        let maxCount = body.maxCount ?? 10
        guard (1...20).contains(maxCount) else {
            return TikTokResponses.invalidParams("max_count must be between 1 and 20.", logId: nextLogId())
        }
        let candidates = (postsByAccount[accountKey] ?? []).filter { post in
            body.cursor.map { Int64(PlatformTime.unixSeconds(post.publishedAt)) * 1_000 < $0 } ?? true
        }
        let page = Array(candidates.prefix(maxCount))
        let cursor = page.last.map { Int64(PlatformTime.unixSeconds($0.publishedAt)) * 1_000 } ?? (body.cursor ?? 0)
        let data: JSONValue = .object([
            ("videos", .array(page.map { tiktokVideoJSON($0, fields: fields, now: now) })),
            ("cursor", .int(Int(cursor))),
            ("has_more", .bool(candidates.count > page.count)),
        ])
        return TikTokResponses.ok(data, logId: nextLogId())
    }

    /// `POST /v2/video/query/?fields=…` with `{"filters":{"video_ids":[…]}}` (at most 20). Ids the
    /// user does not own are left out; the rest come back in the order asked.
    func tiktokVideoQuery(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        let accountKey: String
        let fields: [String]
        switch authorizedFields(request, now: now, allowed: Self.tiktokVideoFields) {
        case .success(let granted): (accountKey, fields) = granted
        case .failure(let rejected): return rejected.answer
        }
        guard let body = Self.decodeBody(QueryBody.self, from: request.body), let ids = body.filters?.videoIds, !ids.isEmpty
        else {
            return TikTokResponses.invalidParams("filters.video_ids is required.", logId: nextLogId())
        }
        guard ids.count <= 20 else {
            return TikTokResponses.invalidParams("Up to 20 video IDs can be included per request.", logId: nextLogId())
        }
        let owned = postsByAccount[accountKey] ?? []
        var seen = Set<String>()
        let videos = ids.compactMap { id -> JSONValue? in
            guard seen.insert(id).inserted, let post = owned.first(where: { $0.id == id }) else { return nil }
            return tiktokVideoJSON(post, fields: fields, now: now)
        }
        let data: JSONValue = .object([("videos", .array(videos)), ("cursor", .int(0)), ("has_more", .bool(false))])
        return TikTokResponses.ok(data, logId: nextLogId())
    }

    /// `GET /v2/user/info/?fields=…`: `{"data":{"user":{…}}}` with only the requested fields.
    func tiktokUserInfo(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        let accountKey: String
        let fields: [String]
        switch authorizedFields(request, now: now, allowed: Self.tiktokUserFields) {
        case .success(let granted): (accountKey, fields) = granted
        case .failure(let rejected): return rejected.answer
        }
        guard let index = accountIndex(key: accountKey), let profile = profiles[accountKey] else {
            return TikTokResponses.accessTokenInvalid(logId: nextLogId())
        }
        let account = accountList[index]
        let posts = postsByAccount[accountKey] ?? []
        let avatar = "https://p16-sign.tiktokcdn-us.com/tos-useast5-avt-0068-tx/\(profile.avatarHex)"
        let user: [(String, JSONValue)] = fields.map { field -> (String, JSONValue) in
            switch field {
            case "open_id": (field, .string(account.externalId))
            case "union_id": (field, .string(profile.unionId))
            case "avatar_url": (field, .string(avatar + "~c5_168x168.jpeg"))
            case "avatar_url_100": (field, .string(avatar + "~c5_100x100.jpeg"))
            case "avatar_large_url": (field, .string(avatar + "~c5_1080x1080.jpeg"))
            case "display_name": (field, .string(profile.displayName))
            case "bio_description": (field, .string(profile.biography))
            case "profile_deep_link": (field, .string("https://vm.tiktok.com/\(profile.avatarHex.prefix(9).uppercased())/"))
            case "is_verified": (field, .bool(false))
            case "username": (field, .string(account.username))
            case "follower_count": (field, .int(profile.followers))
            case "following_count": (field, .int(profile.following))
            case "likes_count": (field, .int(posts.reduce(0) { $0 + $1.likes }))
            case "video_count": (field, .int(posts.count))
            default: (field, .null)
            }
        }
        return TikTokResponses.ok(.object([("user", .object(user))]), logId: nextLogId())
    }

    /// One Video Object with only the requested fields, in the requested order.
    func tiktokVideoJSON(_ post: SimulatedPost, fields: [String], now: Date) -> JSONValue {
        let hash = SeededGenerator.stableHash(post.id)
        let clientKey = configuration.tiktokClientKey
        let cover =
            "https://p16-sign.tiktokcdn-us.com/tos-useast5-p-0068-tx/\(SeededGenerator.hex64(hash))~tplv-noop.image"
            + "?x-expires=\(PlatformTime.unixSeconds(now) + 6 * 3_600)&x-signature=sim"
        let shareBase = post.permalink.split(separator: "?").first.map(String.init) ?? post.permalink
        let embedHTML =
            "<blockquote class=\"tiktok-embed\" cite=\"\(shareBase)\" data-video-id=\"\(post.id)\" "
            + "style=\"max-width: 605px;min-width: 325px;\"><section></section></blockquote> "
            + "<script async src=\"https://www.tiktok.com/embed.js\"></script>"
        let embedLink =
            "https://www.tiktok.com/static/profile-video?id=\(post.id)&hide_author=1"
            + "&utm_campaign=tt4d_open_api&utm_source=\(clientKey)"
        let text = String(post.caption.prefix(150))
        return .object(
            fields.map { field -> (String, JSONValue) in
                switch field {
                case "id": (field, .string(post.id))
                case "create_time": (field, .int(PlatformTime.unixSeconds(post.publishedAt)))
                case "cover_image_url": (field, .string(cover))
                case "share_url": (field, .string(post.permalink))
                case "video_description": (field, .string(text))
                case "duration": (field, .int(5 + Int(hash % 56)))
                case "height": (field, .int(1_920))
                case "width": (field, .int(1_080))
                case "title": (field, .string(text))
                case "embed_html": (field, .string(embedHTML))
                case "embed_link": (field, .string(embedLink))
                case "like_count": (field, .int(post.likes))
                case "comment_count": (field, .int(post.comments))
                case "share_count": (field, .int(post.shares))
                case "view_count": (field, .int(post.views))
                default: (field, .null)
                }
            })
    }
}
