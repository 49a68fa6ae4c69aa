import Foundation

/// The body of `PUT /v1/accounts/{id}/token`: the token fields of `POST /v1/accounts`, and the
/// platform and id only if they match the path.
struct TokenBody: Decodable {
    /// Must match the path when given.
    var platform: Platform?
    /// Must match the path when given.
    var externalId: String?
    /// The new access token.
    var accessToken: String
    /// TikTok's refresh token.
    var refreshToken: String?
    /// Access token expiry.
    var expiresAt: Date?
    /// Refresh token expiry.
    var refreshExpiresAt: Date?
    /// When an Instagram token was issued.
    var issuedAt: Date?

    /// The token as a `NewAccount`, for its validation rules.
    var newAccount: NewAccount {
        NewAccount(
            platform: platform, externalId: externalId, accessToken: accessToken, refreshToken: refreshToken,
            expiresAt: expiresAt, refreshExpiresAt: refreshExpiresAt, issuedAt: issuedAt)
    }
}
