/// The metrics of one post as stored: nil means the platform did not give it (never 0).
public struct PostMetrics: Sendable, Equatable, Codable {
    /// Likes (Instagram `like_count`, TikTok `like_count`).
    public var likeCount: Int64?
    /// Comments.
    public var commentCount: Int64?
    /// Views (Instagram insights `views`, TikTok `view_count`).
    public var viewCount: Int64?
    /// Shares.
    public var shareCount: Int64?
    /// Saves (Instagram insights `saved`).
    public var saveCount: Int64?
    /// Reach (Instagram insights `reach`).
    public var reach: Int64?

    /// Creates metrics; every one defaults to nil (unknown).
    public init(
        likeCount: Int64? = nil, commentCount: Int64? = nil, viewCount: Int64? = nil,
        shareCount: Int64? = nil, saveCount: Int64? = nil, reach: Int64? = nil
    ) {
        self.likeCount = likeCount
        self.commentCount = commentCount
        self.viewCount = viewCount
        self.shareCount = shareCount
        self.saveCount = saveCount
        self.reach = reach
    }

    /// Overlays the metrics that `coverage` says this fetch read onto `stored`; the rest keep
    /// their stored value. A run without insights must not erase the views an earlier run read.
    public func merged(into stored: PostMetrics, coverage: MetricCoverage) -> PostMetrics {
        var result = stored
        if coverage.contains(.likes) { result.likeCount = likeCount }
        if coverage.contains(.comments) { result.commentCount = commentCount }
        if coverage.contains(.views) { result.viewCount = viewCount }
        if coverage.contains(.shares) { result.shareCount = shareCount }
        if coverage.contains(.saves) { result.saveCount = saveCount }
        if coverage.contains(.reach) { result.reach = reach }
        return result
    }
}

/// Which metrics a fetch actually read for a post.
public struct MetricCoverage: OptionSet, Sendable, Hashable {
    /// The raw bits.
    public let rawValue: Int
    /// Creates a set from raw bits.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Like count.
    public static let likes = MetricCoverage(rawValue: 1 << 0)
    /// Comment count.
    public static let comments = MetricCoverage(rawValue: 1 << 1)
    /// View count.
    public static let views = MetricCoverage(rawValue: 1 << 2)
    /// Share count.
    public static let shares = MetricCoverage(rawValue: 1 << 3)
    /// Save count.
    public static let saves = MetricCoverage(rawValue: 1 << 4)
    /// Reach.
    public static let reach = MetricCoverage(rawValue: 1 << 5)
}
