import Foundation

extension TokenUpdate {
    /// The token set of a `PUT /v1/accounts/{id}/token` body, issued when it says (else as
    /// `NewAccount.issuedTime` assumes).
    init(_ token: NewAccount, platform: Platform, now: Date) {
        self.init(
            accessToken: token.accessToken, refreshToken: token.refreshToken, expiresAt: token.expiresAt,
            refreshExpiresAt: token.refreshExpiresAt, refreshedAt: token.issuedTime(platform: platform, now: now))
    }
}
