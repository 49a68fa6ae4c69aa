/// A social platform that `postsync` syncs from.
public enum Platform: String, Sendable, Codable, Hashable, CaseIterable {
    /// Instagram professional accounts (Instagram Login or Facebook Login).
    case instagram
    /// TikTok accounts through Login Kit and the Display API v2.
    case tiktok
}
