import Foundation

/// One simulated post with its current metrics.
///
/// Instagram insights are read from these fields (`views`, `reach`, `saved` = `saves`, `shares`,
/// `likes`, `comments`), so the media list and the insights of a post always agree.
public struct SimulatedPost: Sendable, Codable, Equatable {
    /// Instagram media id (numeric string) or TikTok video id (19 digits).
    public var id: String
    /// Caption (Instagram) or title and description (TikTok).
    public var caption: String
    /// `IMAGE`, `VIDEO` or `CAROUSEL_ALBUM` on Instagram; always `VIDEO` on TikTok.
    public var mediaType: String
    /// `FEED` or `REELS` on Instagram; `FEED` on TikTok.
    public var productType: String
    /// Instagram permalink, or the TikTok share URL.
    public var permalink: String
    /// Publication time (whole seconds).
    public var publishedAt: Date
    /// Like count.
    public var likes: Int
    /// Comment count.
    public var comments: Int
    /// Views (Instagram `views` insight, TikTok `view_count`).
    public var views: Int
    /// Shares.
    public var shares: Int
    /// Saves (Instagram `saved` insight).
    public var saves: Int
    /// Accounts reached (Instagram `reach` insight); never more than `views`.
    public var reach: Int
    /// Instagram: the owner hid the like count, so `like_count` is omitted from `/media`.
    public var hideLikes: Bool

    /// Creates a post value.
    public init(
        id: String,
        caption: String,
        mediaType: String,
        productType: String,
        permalink: String,
        publishedAt: Date,
        likes: Int,
        comments: Int,
        views: Int,
        shares: Int,
        saves: Int,
        reach: Int,
        hideLikes: Bool
    ) {
        self.id = id
        self.caption = caption
        self.mediaType = mediaType
        self.productType = productType
        self.permalink = permalink
        self.publishedAt = publishedAt
        self.likes = likes
        self.comments = comments
        self.views = views
        self.shares = shares
        self.saves = saves
        self.reach = reach
        self.hideLikes = hideLikes
    }
}
