import Foundation

/// Profile data of a simulated account that is not part of `SimulatedAccount`
/// (served by Instagram's `/{ig-user-id}` and TikTok's `/v2/user/info/`).
struct AccountProfile: Sendable, Equatable {
    /// Display name, e.g. "Sunny Kitchen".
    var displayName: String
    /// Biography text.
    var biography: String
    /// Followers.
    var followers: Int
    /// Accounts followed.
    var following: Int
    /// Hex used to build stable avatar URLs.
    var avatarHex: String
    /// TikTok `union_id`.
    var unionId: String
}
