import Foundation

/// When a token needs refreshing, and when it is beyond saving (reference/instagram.md §3,
/// reference/tiktok.md §2).
public struct TokenPolicy: Sendable, Equatable {
    /// Instagram Login: refresh this long before expiry.
    public var instagramRefreshBefore: Duration
    /// TikTok: refresh this long before the access token expires.
    public var tiktokRefreshBefore: Duration

    /// Instagram refuses to refresh a long-lived token younger than 24 hours.
    /// A TikTok refresh token expiring within this is shown in `status` and counted in
    /// `postsync_refresh_tokens_expiring`: the daemon cannot renew it (TikTok issues a new refresh
    /// token with each refresh, but its 180-day life counts from the user's authorization), so
    /// only the user re-authorizing can.
    public static let refreshTokenWarning: TimeInterval = 14 * 86_400

    /// Whether an account's refresh token expires within `refreshTokenWarning` of `now` (and
    /// has not expired yet: then the account is in needs_reauth already).
    public static func refreshTokenExpiresSoon(_ view: AccountView, now: Date) -> Bool {
        guard view.platform == .tiktok, let expiry = view.refreshExpiresAt else { return false }
        return expiry > now && expiry.timeIntervalSince(now) < refreshTokenWarning
    }

    static let instagramMinimumAge: TimeInterval = 24 * 3600
    /// A token of unknown issue time is taken to have been issued this long before expiry.
    public static let instagramTokenLifetime: TimeInterval = 60 * 86_400

    /// Creates a policy.
    public init(instagramRefreshBefore: Duration, tiktokRefreshBefore: Duration) {
        self.instagramRefreshBefore = instagramRefreshBefore
        self.tiktokRefreshBefore = tiktokRefreshBefore
    }

    /// What to do about the token before a sync run.
    public enum Decision: Sendable, Equatable {
        /// Use the token as it is.
        case use
        /// Refresh first.
        case refresh
        /// The token cannot work and cannot be refreshed: the account needs re-authorization.
        case dead(String)
    }

    /// Decides for one account at `now`.
    public func decide(_ account: AccountRecord, now: Date) -> Decision {
        switch account.id.platform {
        case .instagram:
            if let expires = account.tokenExpiresAt, expires <= now {
                return .dead("the access token expired at \(Timestamp.format(expires))")
            }
            guard account.login != .facebook, let expires = account.tokenExpiresAt else { return .use }
            let issued = account.tokenRefreshedAt ?? expires.addingTimeInterval(-Self.instagramTokenLifetime)
            let oldEnough = now.timeIntervalSince(issued) >= Self.instagramMinimumAge
            let nearExpiry = expires.timeIntervalSince(now) <= instagramRefreshBefore.seconds
            return oldEnough && nearExpiry ? .refresh : .use
        case .tiktok:
            if let refreshExpires = account.refreshExpiresAt, refreshExpires <= now {
                return .dead("the refresh token expired at \(Timestamp.format(refreshExpires))")
            }
            guard let expires = account.tokenExpiresAt else { return .use }
            return expires.timeIntervalSince(now) <= tiktokRefreshBefore.seconds ? .refresh : .use
        }
    }
}
