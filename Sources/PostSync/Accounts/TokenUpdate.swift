import Foundation

/// A new token set for one account, as the store writes it: after a refresh, or from an operator.
public struct TokenUpdate: Sendable, Equatable {
    /// The access token.
    public var accessToken: String
    /// The refresh token; nil or empty never overwrites a stored one (TikTok rotation makes the
    /// stored one the only way back in).
    public var refreshToken: String?
    /// Access token expiry; nil clears it.
    public var expiresAt: Date?
    /// Refresh token expiry; nil keeps the stored one.
    public var refreshExpiresAt: Date?
    /// When the token was issued or refreshed.
    public var refreshedAt: Date

    /// Creates an update.
    public init(accessToken: String, refreshToken: String?, expiresAt: Date?, refreshExpiresAt: Date?, refreshedAt: Date) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.refreshExpiresAt = refreshExpiresAt
        self.refreshedAt = refreshedAt
    }
}

extension TokenUpdate {
    /// The token set an account record holds now.
    init(_ record: AccountRecord, refreshedAt: Date) {
        self.init(
            accessToken: record.accessToken, refreshToken: record.refreshToken, expiresAt: record.tokenExpiresAt,
            refreshExpiresAt: record.refreshExpiresAt, refreshedAt: record.tokenRefreshedAt ?? refreshedAt)
    }
}
