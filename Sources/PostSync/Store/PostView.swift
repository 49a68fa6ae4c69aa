import Foundation
import GRDB

/// A stored post in the control API's shape (CONTRACT section 4 `Post`).
public struct PostView: Sendable, Codable, Equatable {
    /// Owning account.
    public var accountId: String
    /// Platform.
    public var platform: Platform
    /// Platform post id.
    public var postId: String
    /// Caption.
    public var caption: String?
    /// Media type.
    public var mediaType: String?
    /// Public URL.
    public var permalink: String?
    /// Publication time.
    public var publishedAt: Date?
    /// Metrics; nil when the platform did not give one.
    public var likeCount: Int64?
    /// Comments.
    public var commentCount: Int64?
    /// Views.
    public var viewCount: Int64?
    /// Shares.
    public var shareCount: Int64?
    /// Saves.
    public var saveCount: Int64?
    /// Reach.
    public var reach: Int64?
    /// When the daemon first stored it.
    public var firstSeenAt: Date
    /// When the daemon last changed it.
    public var updatedAt: Date

    init(row: Row) {
        accountId = row["account_id"]
        platform = Platform(rawValue: row["platform"]) ?? .instagram
        postId = row["post_id"]
        caption = row["caption"]
        mediaType = row["media_type"]
        permalink = row["permalink"]
        publishedAt = StoreDate.decode(row["published_at"])
        likeCount = row["like_count"]
        commentCount = row["comment_count"]
        viewCount = row["view_count"]
        shareCount = row["share_count"]
        saveCount = row["save_count"]
        reach = row["reach"]
        firstSeenAt = StoreDate.decode(row["first_seen_at"]) ?? Date(timeIntervalSince1970: 0)
        updatedAt = StoreDate.decode(row["updated_at"]) ?? Date(timeIntervalSince1970: 0)
    }

    // Explicit so that null metrics are written as `null`, not left out: scripts rely on every key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accountId, forKey: .accountId)
        try c.encode(platform, forKey: .platform)
        try c.encode(postId, forKey: .postId)
        try c.encode(caption, forKey: .caption)
        try c.encode(mediaType, forKey: .mediaType)
        try c.encode(permalink, forKey: .permalink)
        try c.encode(publishedAt, forKey: .publishedAt)
        try c.encode(likeCount, forKey: .likeCount)
        try c.encode(commentCount, forKey: .commentCount)
        try c.encode(viewCount, forKey: .viewCount)
        try c.encode(shareCount, forKey: .shareCount)
        try c.encode(saveCount, forKey: .saveCount)
        try c.encode(reach, forKey: .reach)
        try c.encode(firstSeenAt, forKey: .firstSeenAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}
