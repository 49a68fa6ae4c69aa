import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// The TikTok v2 client (Display API and OAuth; reference/tiktok.md).
public struct TikTokClient: PlatformClient {
    /// What the client needs from the configuration.
    public struct Settings: Sendable {
        /// `https://open.tiktokapis.com`.
        public var apiURL: String
        /// The app's client key.
        public var clientKey: String?
        /// The app's client secret. Secret.
        public var clientSecret: String?

        /// Creates settings.
        public init(apiURL: String, clientKey: String?, clientSecret: String?) {
            self.apiURL = apiURL
            self.clientKey = clientKey
            self.clientSecret = clientSecret
        }
    }

    /// The Video Object fields read.
    static let fields = "id,create_time,title,video_description,share_url,like_count,comment_count,share_count,view_count"

    let transport: HTTPTransport
    let settings: Settings
    let budgets: TikTokBudgets
    let clock: any DaemonClock
    let maxWait: Duration

    init(
        transport: HTTPTransport, settings: Settings, budgets: TikTokBudgets, clock: any DaemonClock,
        maxWait: Duration = .seconds(10)
    ) {
        self.transport = transport
        self.settings = settings
        self.budgets = budgets
        self.clock = clock
        self.maxWait = maxWait
    }

    /// Lists videos newest first (20 a page, cursor paging while `has_more`) until a page reaches
    /// past the lookback window, then refreshes the metrics of known recent videos that the list
    /// did not return with `/v2/video/query/` (20 ids a call).
    public func fetch(_ request: FetchRequest, calls: CallCounter) async throws -> FetchResult {
        var posts: [FetchedPost] = []
        var cursor: Int64?
        var seen = Set<String>()
        while true {
            var body: [String: Int64] = ["max_count": 20]
            if let cursor { body["cursor"] = cursor }
            let page = try await call(
                "/v2/video/list/", budget: budgets.list, json: body, token: request.accessToken, calls: calls,
                as: TikTokVideoPage.self)
            var reachedLookback = false
            for video in page.videos ?? [] where seen.insert(video.id).inserted {
                let post = Self.post(from: video)
                posts.append(post)
                if let start = request.lookbackStart, let published = post.publishedAt, published < start {
                    reachedLookback = true
                }
            }
            // A short page does not mean the end (trust-and-safety filtering): only has_more does.
            guard page.hasMore == true, !reachedLookback, let next = page.cursor, next != cursor else { break }
            cursor = next
        }
        let missing = request.knownRecentPostIDs.filter { !seen.contains($0) }
        var start = missing.startIndex
        while start < missing.endIndex {
            let batch = Array(missing[start..<min(start + 20, missing.endIndex)])
            start += batch.count
            let page = try await call(
                "/v2/video/query/", budget: budgets.query, json: ["filters": ["video_ids": batch]],
                token: request.accessToken, calls: calls, as: TikTokVideoPage.self)
            for video in page.videos ?? [] where seen.insert(video.id).inserted {
                posts.append(Self.post(from: video))
            }
        }
        return FetchResult(posts: posts)
    }

    /// Maps a Video Object to the store's fields (CONTRACT section 4).
    static func post(from video: TikTokVideo) -> FetchedPost {
        let description = video.videoDescription.flatMap { $0.isEmpty ? nil : $0 }
        return FetchedPost(
            postID: video.id, caption: description ?? video.title, mediaType: "VIDEO", permalink: video.shareURL,
            publishedAt: video.createTime.map { Date(timeIntervalSince1970: TimeInterval($0)) },
            metrics: PostMetrics(
                likeCount: video.likeCount, commentCount: video.commentCount, viewCount: video.viewCount,
                shareCount: video.shareCount),
            coverage: [.likes, .comments, .views, .shares])
    }

    /// Exchanges the refresh token for a new pair. TikTok rotates refresh tokens: the caller must
    /// commit the answer before using it.
    public func refresh(
        account: AccountID, accessToken: String, refreshToken: String?, now: Date, calls: CallCounter
    ) async throws -> RefreshedToken {
        guard let refreshToken, !refreshToken.isEmpty else { throw PlatformError.deadAuth("no refresh token stored") }
        guard let key = settings.clientKey, let secret = settings.clientSecret else {
            throw PlatformError.api("tiktok.client_key and tiktok.client_secret must be configured to refresh tokens")
        }
        try await budgets.token.acquire(maxWait: maxWait)
        let form = FormEncoding.encode([
            ("client_key", key), ("client_secret", secret), ("grant_type", "refresh_token"), ("refresh_token", refreshToken),
        ])
        let answer = try await transport.send(
            .POST, settings.apiURL + "/v2/oauth/token/",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Cache-Control", "no-cache")],
            body: Data(form.utf8), calls: calls)
        if answer.status == 429 { throw await rateLimited(budgets.token, "TikTok token endpoint") }
        guard let token = try? JSONDecoder().decode(TikTokTokenAnswer.self, from: answer.body) else {
            if answer.status >= 500 { throw PlatformError.transient("TikTok token endpoint HTTP \(answer.status)") }
            throw PlatformError.malformed("TikTok token endpoint HTTP \(answer.status)")
        }
        if let error = token.error, !error.isEmpty {
            let message = "TikTok OAuth \(error): \(token.errorDescription ?? "")"
            switch error {
            case "invalid_grant", "access_denied", "unauthorized_client": throw PlatformError.deadAuth(message)
            case "server_error", "temporarily_unavailable": throw PlatformError.transient(message)
            default: throw PlatformError.api(message)
            }
        }
        guard let access = token.accessToken, !access.isEmpty else {
            throw PlatformError.malformed("TikTok token answer without access_token")
        }
        return RefreshedToken(
            accessToken: access, refreshToken: token.refreshToken,
            expiresAt: token.expiresIn.map { now.addingTimeInterval(TimeInterval($0)) },
            refreshExpiresAt: token.refreshExpiresIn.map { now.addingTimeInterval(TimeInterval($0)) })
    }

    /// One enveloped API call through the endpoint's budget.
    private func call<Payload: Decodable>(
        _ path: String, budget: SlidingWindowLimiter, json: some Encodable & Sendable, token: String, calls: CallCounter,
        as: Payload.Type
    ) async throws -> Payload {
        try await budget.acquire(maxWait: maxWait)
        let body: Data
        do { body = try JSONEncoder().encode(json) } catch { throw PlatformError.api("request body could not be encoded") }
        let answer = try await transport.send(
            .POST, settings.apiURL + path + "?fields=" + Self.fields,
            headers: [("Authorization", "Bearer " + token), ("Content-Type", "application/json")], body: body, calls: calls)
        let envelope: TikTokEnvelope<Payload>
        do { envelope = try TikTokEnvelope<Payload>.decode(from: answer.body) } catch {
            if answer.status == 429 { throw await rateLimited(budget, "TikTok \(path) HTTP 429") }
            if answer.status >= 500 { throw PlatformError.transient("TikTok \(path) HTTP \(answer.status)") }
            throw PlatformError.malformed("TikTok \(path): \(DecodingErrorText.describe(error))")
        }
        let message = "TikTok \(envelope.error.code): \(envelope.error.message ?? "")"
        switch envelope.error.code {
        case "ok":
            guard let data = envelope.data else { throw PlatformError.malformed("TikTok \(path): no data") }
            return data
        case "access_token_invalid": throw PlatformError.accessTokenInvalid(message)
        case "scope_not_authorized": throw PlatformError.deadAuth(message)
        case "rate_limit_exceeded": throw await rateLimited(budget, message)
        case "internal_error": throw PlatformError.transient(message)
        default: throw answer.status >= 500 ? PlatformError.transient(message) : PlatformError.api(message)
        }
    }

    /// TikTok sends no Retry-After: pause the endpoint for a minute (its window) daemon-wide.
    private func rateLimited(_ budget: SlidingWindowLimiter, _ message: String) async -> PlatformError {
        await budget.pause(until: clock.now.addingTimeInterval(60))
        return .rateLimited(retryAfter: .seconds(60), message)
    }
}

/// The daemon-wide budgets of TikTok's endpoints (600 requests per minute each by default).
/// With several daemons (CONTRACT section 10) the budgets are the cluster's: every call is
/// reserved in one shared window kept in PostgreSQL (`SharedCallBudget`).
public final class TikTokBudgets: Sendable {
    let list: SlidingWindowLimiter
    let query: SlidingWindowLimiter
    let token: SlidingWindowLimiter

    init(requestsPerMinute: Int, clock: any DaemonClock) {
        list = SlidingWindowLimiter(limit: requestsPerMinute, clock: clock, name: "tiktok.video.list")
        query = SlidingWindowLimiter(limit: requestsPerMinute, clock: clock, name: "tiktok.video.query")
        token = SlidingWindowLimiter(limit: requestsPerMinute, clock: clock, name: "tiktok.oauth.token")
    }

    /// Makes every endpoint's budget the cluster's.
    func share(through shared: any SharedCallBudget) async {
        await list.share(through: shared)
        await query.share(through: shared)
        await token.share(through: shared)
    }
}

/// `application/x-www-form-urlencoded` bodies.
enum FormEncoding {
    private static let allowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    /// Encodes pairs in order.
    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    private static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
