import Foundation

extension SimulatorWorld {
    /// Fields `/media` can return. Besides the ones the daemon needs, the common display fields
    /// are served too so a client asking for them is not answered with an error.
    static let instagramMediaFields: Set<String> = [
        "id", "caption", "media_type", "media_product_type", "permalink", "timestamp", "like_count",
        "comments_count", "media_url", "thumbnail_url", "username", "shortcode", "is_shared_to_feed", "children",
    ]

    /// Checks an Instagram token (and, for user paths, that it belongs to `userId` or `me`).
    func authorizeInstagram(_ token: String?, userId: String? = nil, now: Date) -> PlatformAuth {
        guard let token, !token.isEmpty else { return .denied(InstagramResponses.missingToken(traceId: nextTraceId())) }
        guard let record = instagramTokens[token] else {
            return .denied(InstagramResponses.invalid("The access token is invalid.", traceId: nextTraceId()))
        }
        if record.revoked { return .denied(InstagramResponses.revoked(traceId: nextTraceId())) }
        if record.expiresAt <= now {
            return .denied(InstagramResponses.expired(at: record.expiresAt, now: now, traceId: nextTraceId()))
        }
        if let userId, userId != "me", "instagram:\(userId)" != record.accountKey {
            return .denied(
                InstagramResponses.invalid(
                    "The access token does not belong to Instagram user \(userId).", traceId: nextTraceId()
                ))
        }
        return .granted(accountKey: record.accountKey)
    }

    /// `GET /{version}/{ig-user-id}/media`: newest first, cursor pagination, `since`/`until` filters.
    func instagramMedia(_ request: SimulatorHTTPRequest, userId: String, now: Date) -> SimulatorHTTPResponse {
        let accountKey: String
        switch authorizeInstagram(request.graphAccessToken, userId: userId, now: now) {
        case .granted(let key): accountKey = key
        case .denied(let response): return response
        }
        let fields = GraphField.parse(request.query["fields"])
        if let unknown = fields.first(where: { !Self.instagramMediaFields.contains($0.name) }) {
            return InstagramResponses.invalidParameter(
                "(#100) Tried accessing nonexisting field (\(unknown.name)) on node type (Media)", traceId: nextTraceId()
            )
        }
        // Meta does not document the maximum; 100 is what SDKs use. Larger values are clamped.
        let limit = min(100, max(1, request.query["limit"].flatMap { Int($0) } ?? configuration.pageSizeDefault))
        let since = request.query["since"].flatMap { Int($0) }
        let until = request.query["until"].flatMap { Int($0) }
        let candidates = (postsByAccount[accountKey] ?? []).filter { post in
            let seconds = PlatformTime.unixSeconds(post.publishedAt)
            return (since.map { seconds >= $0 } ?? true) && (until.map { seconds <= $0 } ?? true)
        }
        var start = 0
        if let after = request.query["after"] {
            guard let id = Self.decodeCursor(after), let position = candidates.firstIndex(where: { $0.id == id }) else {
                return InstagramResponses.invalidParameter("(#100) The after cursor is not valid.", traceId: nextTraceId())
            }
            start = position + 1
        }
        let page = Array(candidates.dropFirst(start).prefix(limit))
        let username = accountIndex(key: accountKey).map { accountList[$0].username } ?? ""
        var body: [(String, JSONValue)] = [
            ("data", .array(page.map { instagramMediaJSON($0, fields: fields, username: username) }))
        ]
        if let first = page.first, let last = page.last {
            var paging: [(String, JSONValue)] = [
                (
                    "cursors",
                    .object([("before", .string(Self.encodeCursor(first.id))), ("after", .string(Self.encodeCursor(last.id)))])
                )
            ]
            if start + page.count < candidates.count {
                paging.append(("next", .string(nextPageURL(request, limit: limit, after: Self.encodeCursor(last.id)))))
            }
            body.append(("paging", .object(paging)))
        }
        return InstagramResponses.ok(.object(body), usage: instagramUsage(accountKey: accountKey))
    }

    /// `GET /{version}/{ig-user-id|me}`: the account's profile fields (only `id` when no `fields`).
    func instagramUser(_ request: SimulatorHTTPRequest, userId: String, now: Date) -> SimulatorHTTPResponse {
        let accountKey: String
        switch authorizeInstagram(request.graphAccessToken, userId: userId, now: now) {
        case .granted(let key): accountKey = key
        case .denied(let response): return response
        }
        guard let index = accountIndex(key: accountKey), let profile = profiles[accountKey] else {
            return InstagramResponses.unsupportedGet(objectId: userId, traceId: nextTraceId())
        }
        let account = accountList[index]
        var members: [(String, JSONValue)] = [("id", .string(account.externalId))]
        for field in GraphField.parse(request.query["fields"]) where field.name != "id" {
            switch field.name {
            case "user_id": members.append((field.name, .string(account.externalId)))
            case "username": members.append((field.name, .string(account.username)))
            case "name": members.append((field.name, .string(profile.displayName)))
            case "biography": members.append((field.name, .string(profile.biography)))
            case "account_type":
                members.append((field.name, .string(account.login == "instagram" ? "BUSINESS" : "MEDIA_CREATOR")))
            case "media_count": members.append((field.name, .int(postsByAccount[accountKey]?.count ?? 0)))
            case "followers_count": members.append((field.name, .int(profile.followers)))
            case "follows_count": members.append((field.name, .int(profile.following)))
            case "profile_picture_url":
                members.append(
                    (field.name, .string("https://scontent.cdninstagram.com/v/t51.2885-19/\(profile.avatarHex)_n.jpg")))
            default:
                return InstagramResponses.invalidParameter(
                    "(#100) Tried accessing nonexisting field (\(field.name)) on node type (User)", traceId: nextTraceId()
                )
            }
        }
        return InstagramResponses.ok(.object(members), usage: instagramUsage(accountKey: accountKey))
    }

    /// One media object with only the requested fields (`id` always first; `like_count` omitted
    /// when the owner hides likes, `thumbnail_url` only on videos, as the IG Media reference says).
    func instagramMediaJSON(_ post: SimulatedPost, fields: [GraphField], username: String) -> JSONValue {
        var members: [(String, JSONValue)] = [("id", .string(post.id))]
        let shortcode = post.permalink.split(separator: "/").last.map(String.init) ?? ""
        for field in fields {
            switch field.name {
            case "caption": members.append((field.name, .string(post.caption)))
            case "media_type": members.append((field.name, .string(post.mediaType)))
            case "media_product_type": members.append((field.name, .string(post.productType)))
            case "permalink": members.append((field.name, .string(post.permalink)))
            case "timestamp": members.append((field.name, .string(PlatformTime.instagramTimestamp(post.publishedAt))))
            case "like_count" where !post.hideLikes: members.append((field.name, .int(post.likes)))
            case "comments_count": members.append((field.name, .int(post.comments)))
            case "media_url": members.append((field.name, .string(Self.mediaURL(id: post.id, video: post.mediaType == "VIDEO"))))
            case "thumbnail_url" where post.mediaType == "VIDEO":
                members.append((field.name, .string(Self.mediaURL(id: post.id, video: false))))
            case "username": members.append((field.name, .string(username)))
            case "shortcode": members.append((field.name, .string(shortcode)))
            case "is_shared_to_feed" where post.productType == "REELS": members.append((field.name, .bool(true)))
            case "children" where post.mediaType == "CAROUSEL_ALBUM":
                members.append((field.name, .object([("data", .array(carouselChildren(post, subfields: field.subfields)))])))
            default: break
            }
        }
        return .object(members)
    }

    private func carouselChildren(_ post: SimulatedPost, subfields: [String]) -> [JSONValue] {
        (1...3).map { number -> JSONValue in
            let childId = "\(post.id)\(number)"
            var members: [(String, JSONValue)] = [("id", .string(childId))]
            for name in subfields where name != "id" {
                switch name {
                case "media_type": members.append((name, .string("IMAGE")))
                case "media_url": members.append((name, .string(Self.mediaURL(id: childId, video: false))))
                case "timestamp": members.append((name, .string(PlatformTime.instagramTimestamp(post.publishedAt))))
                default: break
                }
            }
            return .object(members)
        }
    }

    /// The absolute `paging.next` URL: same host and path, the same parameters, plus `after`.
    private func nextPageURL(_ request: SimulatorHTTPRequest, limit: Int, after: String) -> String {
        var pairs: [(String, String)] = []
        if let token = request.query["access_token"] { pairs.append(("access_token", token)) }
        if let fields = request.query["fields"] { pairs.append(("fields", fields)) }
        pairs.append(("limit", String(limit)))
        for name in ["since", "until"] {
            if let value = request.query[name] { pairs.append((name, value)) }
        }
        pairs.append(("after", after))
        let host = request.host ?? "127.0.0.1"
        return "http://\(host)\(request.path)?\(QueryString.build(pairs))"
    }

    /// Graph cursors are opaque base64 strings; ours encode the id of the boundary post.
    static func encodeCursor(_ postId: String) -> String {
        Data(postId.utf8).base64EncodedString()
    }

    /// The post id inside a cursor, or nil when the cursor is not one of ours.
    static func decodeCursor(_ cursor: String) -> String? {
        Data(base64Encoded: cursor).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func mediaURL(id: String, video: Bool) -> String {
        "https://scontent.cdninstagram.com/v/t51.29350-15/\(id)_n.\(video ? "mp4" : "jpg")?_nc_cat=1&oh=sim&oe=\(String(id.suffix(8)))"
    }
}
