import Foundation

/// An authorization code of a simulated consent: single use, expiring, bound to the client,
/// the `redirect_uri` and (TikTok) the PKCE challenge of its authorize request.
struct OAuthCode: Sendable, Equatable {
    /// `instagram`, `facebook` or `tiktok`: which dialog issued it.
    var flow: String
    /// The `redirect_uri` of the authorize request; the exchange must repeat it exactly.
    var redirectURI: String
    /// TikTok's `code_challenge` (lowercase hex SHA-256 of the verifier).
    var challenge: String?
    /// The accounts the user granted (`instagram:<id>` / `tiktok:<open_id>` keys).
    var accountKeys: [String]
    /// TikTok: the scopes the user granted, comma-separated.
    var scope: String
    /// When it stops being exchangeable.
    var expiresAt: Date
    /// Redeemed already (a second exchange fails, as on the platforms).
    var used = false
}

/// Instagram Login's short-lived token: it only buys a long-lived one.
struct ShortLivedToken: Sendable, Equatable {
    var accountKey: String
    var expiresAt: Date
}

/// A Facebook Login user token and the Instagram accounts behind the Pages it was granted.
struct FacebookUserToken: Sendable, Equatable {
    var accountKeys: [String]
    var expiresAt: Date
    /// Long-lived (from `fb_exchange_token`): its Page tokens never expire.
    var longLived: Bool
}
