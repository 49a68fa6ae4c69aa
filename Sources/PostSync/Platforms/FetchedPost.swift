import Foundation

/// A post as one platform call returned it, already mapped to the store's fields
/// (CONTRACT section 4, the `Post` mapping table).
public struct FetchedPost: Sendable, Equatable {
    /// The platform's post id.
    public var postID: String
    /// Caption (Instagram) or description, else title (TikTok).
    public var caption: String?
    /// `IMAGE`, `VIDEO`, `CAROUSEL_ALBUM`.
    public var mediaType: String?
    /// Instagram `media_product_type` when the login supports it (`FEED`, `REELS`).
    public var productType: String?
    /// Public URL.
    public var permalink: String?
    /// Publication time.
    public var publishedAt: Date?
    /// The metrics read.
    public var metrics: PostMetrics
    /// Which of `metrics` this fetch read; the others keep their stored values.
    public var coverage: MetricCoverage

    /// Creates a fetched post.
    public init(
        postID: String, caption: String?, mediaType: String?, productType: String? = nil, permalink: String?,
        publishedAt: Date?, metrics: PostMetrics, coverage: MetricCoverage
    ) {
        self.postID = postID
        self.caption = caption
        self.mediaType = mediaType
        self.productType = productType
        self.permalink = permalink
        self.publishedAt = publishedAt
        self.metrics = metrics
        self.coverage = coverage
    }
}
