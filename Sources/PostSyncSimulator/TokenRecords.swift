import Foundation

/// The world's record of one Instagram access token.
///
/// Meta keeps an old token working after a refresh until its own expiry, so an account can have
/// several live tokens at once.
struct InstagramToken: Sendable, Equatable {
    /// `"instagram:<id>"` of the owner.
    var accountKey: String
    /// When it was issued (refresh needs it to be at least 24 h old).
    var issuedAt: Date
    /// When it stops working.
    var expiresAt: Date
    /// Revoked by the user (or by `revokeToken`): dead regardless of expiry.
    var revoked: Bool
}

/// The world's record of one TikTok access token.
struct TikTokAccessToken: Sendable, Equatable {
    /// `"tiktok:<open_id>"` of the owner.
    var accountKey: String
    /// When it stops working.
    var expiresAt: Date
    /// False once rotated away by a refresh or revoked.
    var valid: Bool
}

/// The world's record of one TikTok refresh token.
struct TikTokRefreshToken: Sendable, Equatable {
    /// `"tiktok:<open_id>"` of the owner.
    var accountKey: String
    /// End of the original grant; a refresh hands the same deadline to the next token.
    var grantExpiresAt: Date
    /// False once a newer refresh token was issued (strict rotation) or the grant was revoked.
    var valid: Bool
}
