import Foundation

extension SimulatorWorld {
    /// Metrics deprecated by Meta (v22.0, all versions from 2025-04-21); asking for them is an error.
    static let deprecatedInstagramMetrics: Set<String> = [
        "impressions", "plays", "clips_replays_count", "ig_reels_aggregated_all_plays_count", "video_views", "engagement",
    ]

    /// Current media metrics the simulator serves, with their titles and descriptions.
    static let instagramMetricTexts: [String: (title: String, description: String)] = [
        "views": ("Views", "The number of times your reel, post or story was played or displayed."),
        "reach": ("Reach", "The number of unique accounts that have seen your post at least once."),
        "saved": ("Saves", "The number of saves of your post."),
        "shares": ("Shares", "The number of shares of your post."),
        "likes": ("Likes", "The number of likes on your post."),
        "comments": ("Comments", "The number of comments on your post."),
        "total_interactions": (
            "Interactions",
            "The number of likes, saves, comments and shares on your post, minus unlikes, unsaves and deleted comments."
        ),
    ]

    /// `GET /{version}/{media-id}/insights?metric=…`: lifetime values read from the post itself,
    /// so they always agree with `/media`. Unknown or deprecated metrics answer code 100.
    func instagramInsights(_ request: SimulatorHTTPRequest, mediaId: String, now: Date) -> SimulatorHTTPResponse {
        let accountKey: String
        switch authorizeInstagram(request.graphAccessToken, now: now) {
        case .granted(let key): accountKey = key
        case .denied(let response): return response
        }
        guard postOwner[mediaId] == accountKey,
            let post = postsByAccount[accountKey]?.first(where: { $0.id == mediaId })
        else {
            return InstagramResponses.unsupportedGet(objectId: mediaId, traceId: nextTraceId())
        }
        var metrics: [String] = []
        for name in (request.query["metric"] ?? "").split(separator: ",") {
            let metric = name.trimmingCharacters(in: .whitespaces)
            if !metric.isEmpty, !metrics.contains(metric) { metrics.append(metric) }
        }
        guard !metrics.isEmpty else {
            return InstagramResponses.invalidParameter("(#100) The parameter metric is required", traceId: nextTraceId())
        }
        for (position, metric) in metrics.enumerated() where Self.instagramMetricTexts[metric] == nil {
            if Self.deprecatedInstagramMetrics.contains(metric) {
                return InstagramResponses.invalidParameter(
                    "(#100) Starting from v22.0, the \(metric) metric is no longer supported for media. Please use the views metric instead.",
                    traceId: nextTraceId()
                )
            }
            return InstagramResponses.invalidParameter(
                "(#100) metric[\(position)] must be one of the following values: "
                    + "views, reach, saved, shares, likes, comments, total_interactions",
                traceId: nextTraceId()
            )
        }
        let rejected =
            (configuration.instagramUnsupportedInsights[post.mediaType] ?? [])
            .union(configuration.instagramUnsupportedInsights["\(post.mediaType)/\(post.productType)"] ?? [])
        if let metric = metrics.first(where: rejected.contains) {
            // Meta rejects the whole request when one metric does not apply to the media.
            return InstagramResponses.invalidParameter(
                "(#100) The Media Insights API does not support the \(metric) metric for this media product type.",
                traceId: nextTraceId())
        }
        let entries: [JSONValue] = metrics.map { metric -> JSONValue in
            let text = Self.instagramMetricTexts[metric] ?? (title: metric, description: "")
            return .object([
                ("name", .string(metric)),
                ("period", .string("lifetime")),
                ("values", .array([.object([("value", .int(Self.insightValue(metric, of: post)))])])),
                ("title", .string(text.title)),
                ("description", .string(text.description)),
                ("id", .string("\(post.id)/insights/\(metric)/lifetime")),
            ])
        }
        return InstagramResponses.ok(.object([("data", .array(entries))]), usage: instagramUsage(accountKey: accountKey))
    }

    /// The value of one insight, derived from the post's fields.
    static func insightValue(_ metric: String, of post: SimulatedPost) -> Int {
        switch metric {
        case "views": post.views
        case "reach": post.reach
        case "saved": post.saves
        case "shares": post.shares
        case "likes": post.likes
        case "comments": post.comments
        case "total_interactions": post.likes + post.saves + post.comments + post.shares
        default: 0
        }
    }
}
