import Foundation

/// One simulated account with its current credentials, as the admin API shows it.
public struct SimulatedAccount: Sendable, Codable, Equatable {
    /// `"instagram"` or `"tiktok"`.
    public var platform: String
    /// Instagram user id (`17841400000000001`) or TikTok `open_id` (`sim-open-0001`).
    public var externalId: String
    /// The account's username.
    public var username: String
    /// Instagram only: `"instagram"` (Instagram Login) or `"facebook"` (Facebook Login); nil for TikTok.
    public var login: String?
    /// The most recently issued access token.
    public var accessToken: String
    /// TikTok only: the one refresh token that currently works.
    public var refreshToken: String?
    /// When `accessToken` expires.
    public var expiresAt: Date
    /// TikTok only: when the grant's refresh tokens stop working.
    public var refreshExpiresAt: Date?
    /// When `accessToken` was issued.
    public var issuedAt: Date

    /// `"<platform>:<externalId>"`, the key the admin API and the request log use.
    public var key: String { "\(platform):\(externalId)" }

    /// Creates an account value.
    public init(
        platform: String,
        externalId: String,
        username: String,
        login: String?,
        accessToken: String,
        refreshToken: String?,
        expiresAt: Date,
        refreshExpiresAt: Date?,
        issuedAt: Date
    ) {
        self.platform = platform
        self.externalId = externalId
        self.username = username
        self.login = login
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.refreshExpiresAt = refreshExpiresAt
        self.issuedAt = issuedAt
    }
}
