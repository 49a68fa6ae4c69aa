import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// The Instagram Graph API client for both logins (reference/instagram.md §0–§4).
public struct InstagramClient: PlatformClient {
    /// What the client needs from the configuration.
    public struct Settings: Sendable {
        /// Instagram Login host.
        public var graphURL: String
        /// Facebook Login host.
        public var facebookGraphURL: String
        /// `v23.0`.
        public var apiVersion: String
        /// Whether to read per-post insights.
        public var insights: Bool
        /// Only posts this recent get insights.
        public var insightsLookback: Duration
        /// At most this often per post.
        public var insightsEvery: Duration
        /// Page size of `/media` on a first sync (backfill): the documented safe maximum, fewest calls.
        public var backfillPageSize: Int = 100
        /// Page size of `/media` on later syncs: enough for a month of posts of a busy account in
        /// one call, while a quiet account's sync decodes and compares far fewer posts.
        public var pageSize: Int = 25

        /// Creates settings.
        public init(
            graphURL: String, facebookGraphURL: String, apiVersion: String, insights: Bool,
            insightsLookback: Duration, insightsEvery: Duration
        ) {
            self.graphURL = graphURL
            self.facebookGraphURL = facebookGraphURL
            self.apiVersion = apiVersion
            self.insights = insights
            self.insightsLookback = insightsLookback
            self.insightsEvery = insightsEvery
        }
    }

    /// The insights metrics read per post: valid for FEED and REELS media alike.
    static let insightMetrics = ["views", "reach", "saved", "shares"]

    let transport: HTTPTransport
    let settings: Settings
    let governor: MetaUsageGovernor
    /// Which metrics each kind of media does not support (shared by all accounts, persisted).
    let support: InsightSupport
    let clock: any DaemonClock
    /// The longest wait for the usage governor inside one run; longer means "come back later".
    let maxWait: Duration

    init(
        transport: HTTPTransport, settings: Settings, governor: MetaUsageGovernor, clock: any DaemonClock,
        maxWait: Duration = .seconds(10), support: InsightSupport = InsightSupport()
    ) {
        self.support = support
        self.transport = transport
        self.settings = settings
        self.governor = governor
        self.clock = clock
        self.maxWait = maxWait
    }

    /// Reads `/media` newest first, following `paging.next` until a page reaches past the lookback
    /// window, then insights for the recent posts that are due.
    public func fetch(_ request: FetchRequest, calls: CallCounter) async throws -> FetchResult {
        let login = request.login ?? .instagram
        let base = login == .facebook ? settings.facebookGraphURL : settings.graphURL
        // media_product_type is documented for Facebook Login only.
        var fields = ["id", "caption", "media_type", "permalink", "timestamp", "like_count", "comments_count"]
        if login == .facebook { fields.insert("media_product_type", at: 3) }
        var next: String? = url(
            base, "\(settings.apiVersion)/\(request.account.externalID)/media",
            [
                "fields": fields.joined(separator: ","),
                "limit": String(request.lookbackStart == nil ? settings.backfillPageSize : settings.pageSize),
            ])
        var posts: [FetchedPost] = []
        while let pageURL = next {
            let body = try await get(pageURL, token: request.accessToken, key: request.account.externalID, calls: calls)
            let page: GraphMediaPage
            do { page = try GraphMediaPage.decode(from: body) } catch {
                throw PlatformError.malformed("Instagram /media page: \(DecodingErrorText.describe(error))")
            }
            var reachedLookback = false
            for media in page.data {
                let post = Self.post(from: media)
                posts.append(post)
                if let start = request.lookbackStart, let published = post.publishedAt, published < start {
                    reachedLookback = true
                }
            }
            next = reachedLookback || page.data.isEmpty ? nil : page.paging?.next.map(Self.withoutAccessToken)
        }
        let result = FetchResult(posts: posts)
        guard settings.insights else { return result }
        return try await readInsights(result, request: request, base: base, calls: calls)
    }

    /// Maps one IG Media object to the store's fields (CONTRACT section 4).
    static func post(from media: GraphMedia) -> FetchedPost {
        FetchedPost(
            postID: media.id, caption: media.caption, mediaType: media.mediaType, productType: media.mediaProductType,
            permalink: media.permalink, publishedAt: media.timestamp.flatMap(Timestamp.parse),
            metrics: PostMetrics(likeCount: media.likeCount?.value, commentCount: media.commentsCount?.value),
            // like_count is left out when the owner hides likes: asked for, so it becomes NULL.
            coverage: [.likes, .comments])
    }

    /// Reads insights of the recent posts that are due, asking each kind of media only for the
    /// metrics it supports. On code 100 (one metric does not apply) the metrics are asked one by
    /// one, and what is not supported is remembered daemon-wide; such a metric stays NULL and
    /// does not make the run partial (partial is for data that exists and could not be read).
    private func readInsights(_ fetched: FetchResult, request: FetchRequest, base: String, calls: CallCounter) async throws
        -> FetchResult
    {
        var result = fetched
        let recent = request.now.addingTimeInterval(-settings.insightsLookback.seconds)
        var unavailable = 0
        for index in result.posts.indices {
            let post = result.posts[index]
            guard let published = post.publishedAt, published >= recent, let mediaType = post.mediaType else { continue }
            if let last = request.insightsFetchedAt[post.postID],
                request.now.timeIntervalSince(last) < settings.insightsEvery.seconds
            {
                continue
            }
            let productType = post.productType ?? ""
            let asked = await support.metrics(
                Self.insightMetrics, mediaType: mediaType, productType: productType, now: request.now)
            let values: [String: Int64]
            let unsupported: Int
            do {
                (values, unsupported) = try await insightValues(
                    asked, post: post.postID, mediaType: mediaType, productType: productType, request: request, base: base,
                    calls: calls)
            } catch let error as PlatformError {
                switch error {
                case .deadAuth, .transient: throw error
                case .rateLimited:
                    result.problems.append("insights skipped for the rest of this run: rate limited")
                    return result
                case .unavailable:
                    // Permanent for this media: do not ask again until insights_every has passed.
                    result.insightsRead.append(post.postID)
                    continue
                default:
                    result.problems.append("insights of \(post.postID): \(error)")
                    continue
                }
            }
            var coverage: MetricCoverage = []
            let fields: [(name: String, metric: WritableKeyPath<PostMetrics, Int64?>, covers: MetricCoverage)] = [
                ("views", \.viewCount, .views), ("reach", \.reach, .reach), ("saved", \.saveCount, .saves),
                ("shares", \.shareCount, .shares),
            ]
            for field in fields {
                guard let value = values[field.name] else { continue }
                result.posts[index].metrics[keyPath: field.metric] = value
                coverage.insert(field.covers)
            }
            // "returns an empty data set instead of 0": unknown now, keep what is stored.
            // Metrics this media does not have are no missing data.
            if coverage.isEmpty && asked.count > unsupported { unavailable += 1 }
            result.posts[index].coverage.formUnion(coverage)
            result.insightsRead.append(post.postID)
        }
        if unavailable > 0 { result.problems.append("insights unavailable for \(unavailable) post(s)") }
        return result
    }

    /// The values of `metrics` for one post: one request for all; after code 100, one request
    /// per metric, recording which ones this kind of media does not support.
    /// - Returns: The values, and how many of the metrics turned out not to be supported.
    private func insightValues(
        _ metrics: [String], post: String, mediaType: String, productType: String, request: FetchRequest, base: String,
        calls: CallCounter
    ) async throws -> (values: [String: Int64], unsupported: Int) {
        guard !metrics.isEmpty else { return ([:], 0) }
        func key(_ metric: String) -> InsightMetricKey {
            InsightMetricKey(mediaType: mediaType, productType: productType, metric: metric)
        }
        do {
            return (try await insights(metrics, post: post, request: request, base: base, calls: calls), 0)
        } catch PlatformError.metricUnsupported where metrics.count == 1 {
            await support.record(key(metrics[0]), supported: false, now: request.now)
            return ([:], 1)
        } catch PlatformError.metricUnsupported {
            var values: [String: Int64] = [:]
            var rejected: [String] = []
            for metric in metrics {
                do {
                    values.merge(try await insights([metric], post: post, request: request, base: base, calls: calls)) { $1 }
                    await support.record(key(metric), supported: true, now: request.now)
                } catch PlatformError.metricUnsupported(let message) {
                    rejected.append(metric)
                    // Every metric refused alone: the post is the problem, not the metrics (one odd
                    // post must not switch a metric off for every account for a week).
                    if rejected.count == metrics.count { throw PlatformError.metricUnsupported(message) }
                }
            }
            for metric in rejected { await support.record(key(metric), supported: false, now: request.now) }
            return (values, rejected.count)
        }
    }

    /// One insights request.
    private func insights(_ metrics: [String], post: String, request: FetchRequest, base: String, calls: CallCounter)
        async throws -> [String: Int64]
    {
        let body = try await get(
            url(base, "\(settings.apiVersion)/\(post)/insights", ["metric": metrics.joined(separator: ",")]),
            token: request.accessToken, key: request.account.externalID, calls: calls, insights: true)
        guard let insights = try? JSONDecoder().decode(GraphInsights.self, from: body) else {
            throw PlatformError.malformed("Instagram insights of \(post)")
        }
        var values: [String: Int64] = [:]
        for metric in insights.data { values[metric.name] = metric.value }
        return values
    }

    /// Refreshes an Instagram Login long-lived token (`ig_refresh_token`), valid 60 days again.
    public func refresh(
        account: AccountID, accessToken: String, refreshToken: String?, now: Date, calls: CallCounter
    ) async throws -> RefreshedToken {
        let body = try await get(
            url(
                settings.graphURL, "refresh_access_token",
                [
                    // The one Graph call that takes the token only in the query.
                    "grant_type": "ig_refresh_token", "access_token": accessToken,
                ]), token: nil, key: account.externalID, calls: calls)
        guard let answer = try? JSONDecoder().decode(GraphTokenAnswer.self, from: body), !answer.accessToken.isEmpty else {
            throw PlatformError.malformed("Instagram token refresh answer")
        }
        return RefreshedToken(
            accessToken: answer.accessToken, refreshToken: nil,
            expiresAt: answer.expiresIn.map { now.addingTimeInterval(TimeInterval($0.value)) }, refreshExpiresAt: nil)
    }

    /// One GET through the usage governor, with `token` as `Authorization: Bearer` (so that it
    /// stays out of URLs, which proxies and access logs keep); non-2xx answers become
    /// `PlatformError`s, whose messages never carry the URL.
    private func get(_ url: String, token: String?, key: String, calls: CallCounter, insights: Bool = false) async throws
        -> Data
    {
        try await governor.acquire(key, maxWait: maxWait)
        let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
        let answer = try await transport.send(.GET, url, headers: headers, calls: calls)
        let report = MetaUsageReport.parse(
            appUsage: answer.headers.first(name: "x-app-usage"),
            businessUseCaseUsage: answer.headers.first(name: "x-business-use-case-usage"))
        await governor.record(report, key: key)
        if (200..<300).contains(answer.status) { return answer.body }
        let retryAfter =
            answer.headers.first(name: "retry-after").flatMap(Int.init).map { Duration.seconds($0) }
            ?? report.regainAfter
        guard let envelope = try? JSONDecoder().decode(GraphErrorEnvelope.self, from: answer.body) else {
            if answer.status == 429 { throw PlatformError.rateLimited(retryAfter: retryAfter, "Instagram HTTP 429") }
            if answer.status >= 500 { throw PlatformError.transient("Instagram HTTP \(answer.status)") }
            throw PlatformError.malformed("Instagram HTTP \(answer.status) without an error body")
        }
        let error = GraphErrorClassifier.classify(
            envelope.error, status: answer.status, retryAfter: retryAfter, insights: insights)
        if case .rateLimited(let after, _) = error {
            await governor.block(key, until: clock.now.addingTimeInterval((after ?? .seconds(60)).seconds))
        }
        throw error
    }

    /// A `paging.next` URL without an `access_token` parameter (Graph echoes one when the first
    /// request carried it; the header carries ours).
    static func withoutAccessToken(_ url: String) -> String {
        // Percent-encoded items, so that a cursor holding `+` or `/` is passed on byte for byte.
        guard var components = URLComponents(string: url), let items = components.percentEncodedQueryItems,
            items.contains(where: { $0.name == "access_token" })
        else { return url }
        components.percentEncodedQueryItems = items.filter { $0.name != "access_token" }
        return components.string ?? url
    }

    /// `base/path?query` with every value percent-encoded (tokens may hold `+` or `/`).
    private func url(_ base: String, _ path: String, _ query: [String: String]) -> String {
        var components = URLComponents(string: base.hasSuffix("/") ? base + path : base + "/" + path)
        components?.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        // URLComponents leaves `+` alone, which a server would read as a space.
        let query = components?.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        components?.percentEncodedQuery = query
        return components?.string ?? base
    }
}
