import Foundation

/// A new account or a new token as an operator gives it (`POST /v1/accounts`,
/// `PUT /v1/accounts/{id}/token`, `postsync accounts add`). Tokens are secrets: this type is
/// never logged or echoed.
public struct NewAccount: Sendable, Codable, Equatable {
    /// `instagram` or `tiktok`.
    public var platform: Platform?
    /// IG user id or TikTok open_id.
    public var externalId: String?
    /// The access token.
    public var accessToken: String
    /// TikTok's refresh token (required for TikTok).
    public var refreshToken: String?
    /// Access token expiry.
    public var expiresAt: Date?
    /// Refresh token expiry.
    public var refreshExpiresAt: Date?
    /// Display name.
    public var username: String?
    /// Instagram only: `instagram` (default) or `facebook`.
    public var login: InstagramLogin?
    /// Default true.
    public var autoSync: Bool?
    /// When an Instagram token was issued; unknown means 60 days before `expiresAt`.
    public var issuedAt: Date?

    /// Creates the request.
    public init(
        platform: Platform?, externalId: String?, accessToken: String, refreshToken: String? = nil,
        expiresAt: Date? = nil, refreshExpiresAt: Date? = nil, username: String? = nil, login: InstagramLogin? = nil,
        autoSync: Bool? = nil, issuedAt: Date? = nil
    ) {
        self.platform = platform
        self.externalId = externalId
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.refreshExpiresAt = refreshExpiresAt
        self.username = username
        self.login = login
        self.autoSync = autoSync
        self.issuedAt = issuedAt
    }

    /// Trims whitespace (the newline of `echo token > file`) and checks every field.
    /// - Throws: `ControlError.invalidRequest` naming the field.
    public func validated(for platform: Platform) throws(ControlError) -> NewAccount {
        var copy = self
        copy.accessToken = accessToken.trimmingCharacters(in: .whitespacesAndNewlines)
        copy.refreshToken = refreshToken?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !copy.accessToken.isEmpty else { throw .invalidRequest("accessToken: must not be empty") }
        guard copy.accessToken.allSatisfy({ !$0.isWhitespace }) else {
            throw .invalidRequest("accessToken: must not contain white space")
        }
        switch platform {
        case .tiktok:
            if login != nil { throw .invalidRequest("login: only Instagram accounts have a login") }
        case .instagram:
            if copy.refreshToken?.isEmpty == false {
                throw .invalidRequest("refreshToken: Instagram tokens have no refresh token")
            }
            copy.refreshToken = nil
        }
        if let refreshToken = copy.refreshToken, refreshToken.contains(where: \.isWhitespace) {
            throw .invalidRequest("refreshToken: must not contain white space")
        }
        return copy
    }

    /// The record of a new account.
    /// - Throws: `ControlError.invalidRequest` naming the field.
    public func record(now: Date) throws(ControlError) -> AccountRecord {
        guard let platform else { throw .invalidRequest("platform: required, instagram or tiktok") }
        guard let externalId = externalId?.trimmingCharacters(in: .whitespaces), !externalId.isEmpty else {
            throw .invalidRequest("externalId: required")
        }
        guard externalId.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw .invalidRequest("externalId: only letters, digits, '-', '_' and '.' are allowed")
        }
        let valid = try validated(for: platform)
        if platform == .tiktok, valid.refreshToken?.isEmpty ?? true {
            throw .invalidRequest("refreshToken: required for TikTok accounts")
        }
        return AccountRecord(
            id: AccountID(platform: platform, externalID: externalId), username: username,
            login: platform == .instagram ? (login ?? .instagram) : nil, autoSync: autoSync ?? true,
            state: (autoSync ?? true) ? .idle : .paused, accessToken: valid.accessToken, refreshToken: valid.refreshToken,
            tokenExpiresAt: expiresAt, refreshExpiresAt: refreshExpiresAt,
            tokenRefreshedAt: valid.issuedTime(platform: platform, now: now), createdAt: now)
    }

    /// When the token was issued: given, else (Instagram) 60 days before expiry, else now.
    func issuedTime(platform: Platform, now: Date) -> Date {
        if let issuedAt { return issuedAt }
        if platform == .instagram, let expiresAt { return expiresAt.addingTimeInterval(-TokenPolicy.instagramTokenLifetime) }
        return now
    }
}
