import Foundation

/// One `postsync connect`: what the daemon remembers between handing out the authorize URL and
/// the browser's return. Lives 10 minutes. The `state` and the PKCE verifier are secrets: they
/// never leave the daemon except inside the authorize URL (the state) and the code exchange (the
/// verifier).
public struct ConnectAttempt: Sendable {
    /// Where an attempt is.
    public enum Status: String, Sendable, Codable {
        /// Waiting for the browser (or being completed right now).
        case pending
        /// The accounts are stored.
        case connected
        /// The platform, the user or the exchange said no; `error` says why.
        case failed
    }

    /// The attempt's id in `/v1/connect/{id}`.
    public let id: String
    /// The platform being connected.
    public let platform: Platform
    /// Instagram: which login's dialog; nil for TikTok.
    public let login: InstagramLogin?
    /// The exact `redirect_uri` of the authorize URL (the code exchange must repeat it).
    public let redirectURI: RedirectURI
    /// The authorize URL the user opens.
    public let authorizeURL: String
    /// When it was made.
    public let createdAt: Date
    /// When it stops being usable.
    public let expiresAt: Date
    /// The OAuth `state`: random, single use, compared in constant time.
    let state: String
    /// TikTok's PKCE verifier; nil for Instagram (Meta's flows have no PKCE).
    let verifier: String?
    /// Pending, connected or failed.
    public internal(set) var status: Status = .pending
    /// Whether a completion has taken the state (it is single use, even when the exchange fails).
    var claimed = false
    /// The accounts connected (when `connected`).
    public internal(set) var accounts: [AccountID] = []
    /// Why it failed (when `failed`).
    public internal(set) var error: ControlError?
}
