import Foundation

/// The 201 answer of `POST /v1/connect`: what the user opens, and until when. `redirectUri` is
/// where the browser will be sent (the CLI listens there for a loopback one).
public struct ConnectStarted: Sendable, Codable, Equatable {
    /// The attempt's id.
    public var id: String
    /// `instagram` or `tiktok`.
    public var platform: Platform
    /// The URL to open in a browser.
    public var authorizeUrl: String
    /// The `redirect_uri` of this attempt.
    public var redirectUri: String
    /// When the attempt stops being usable.
    public var expiresAt: Date
}

/// `GET /v1/connect/{id}`.
public struct ConnectStatus: Sendable, Codable {
    /// The attempt's id.
    public var id: String
    /// `instagram` or `tiktok`.
    public var platform: Platform
    /// `pending`, `connected` or `failed`.
    public var status: ConnectAttempt.Status
    /// The accounts connected.
    public var accounts: [AccountView]
    /// Why it failed.
    public var error: ControlError?
}

/// The 200 answer of `POST /v1/connect/{id}/complete`.
public struct ConnectCompleted: Sendable, Codable {
    /// The accounts connected (added or re-authorized).
    public var accounts: [AccountView]

    /// Creates the answer.
    public init(accounts: [AccountView]) {
        self.accounts = accounts
    }
}
