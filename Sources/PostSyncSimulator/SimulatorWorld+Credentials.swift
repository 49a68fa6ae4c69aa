import Foundation

extension SimulatorWorld {
    /// `GET /refresh_access_token?grant_type=ig_refresh_token&access_token=T` (Instagram Login only).
    ///
    /// Meta: a long-lived token can be refreshed when it is at least 24 hours old and not expired;
    /// the new token lasts 60 days. The old token keeps working until its own expiry.
    /// Choices where Meta documents no answer:
    /// - a token younger than 24 h gets HTTP 400 code 100 (a request problem, not a dead token);
    /// - a Facebook Login token gets code 100 "Unsupported request - method type: get", the answer
    ///   seen when a token the Instagram host cannot refresh is sent there (instafeed.js#654).
    func instagramRefresh(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        guard request.query["grant_type"] == "ig_refresh_token" else {
            return InstagramResponses.invalidParameter(
                "(#100) Invalid grant_type, expected ig_refresh_token", traceId: nextTraceId())
        }
        let token = request.query["access_token"] ?? ""
        let accountKey: String
        switch authorizeInstagram(token, now: now) {
        case .granted(let key): accountKey = key
        case .denied(let response): return response
        }
        guard let index = accountIndex(key: accountKey), let record = instagramTokens[token] else {
            return InstagramResponses.invalid("The access token is invalid.", traceId: nextTraceId())
        }
        guard accountList[index].login == "instagram" else {
            return InstagramResponses.invalidParameter("Unsupported request - method type: get", traceId: nextTraceId())
        }
        guard now.timeIntervalSince(record.issuedAt) >= 86_400 else {
            return InstagramResponses.invalidParameter(
                "(#100) The access token can only be refreshed once it is at least 24 hours old.", traceId: nextTraceId()
            )
        }
        let lifetime = configuration.instagramTokenLifetime
        let newToken = issueInstagramToken(accountIndex: index, now: now)
        let body: JSONValue = .object([
            ("access_token", .string(newToken)),
            ("token_type", .string("bearer")),
            ("expires_in", .int(Int(lifetime))),
        ])
        return InstagramResponses.ok(body, usage: instagramUsage(accountKey: accountKey))
    }

    /// Gives the account fresh, working credentials, as if the user logged in again
    /// (after `revokeToken` or an expiry). Returns the updated account.
    @discardableResult
    public func reauthorize(platform: String, externalId: String) -> SimulatedAccount? {
        guard let index = accountIndex(platform: platform, externalId: externalId) else { return nil }
        let now = currentTime()
        if platform == "instagram" {
            _ = issueInstagramToken(accountIndex: index, now: now)
        } else {
            let grantExpiresAt = now.addingTimeInterval(configuration.tiktokRefreshTokenLifetime)
            issueTikTokTokens(accountIndex: index, grantExpiresAt: grantExpiresAt, now: now)
        }
        return accountList[index]
    }

    /// Issues a new Instagram long-lived token (or a Page token, with its own lifetime); older
    /// tokens are left alone.
    func issueInstagramToken(accountIndex index: Int, now: Date, lifetime: TimeInterval? = nil) -> String {
        let prefix = accountList[index].login == "instagram" ? "IGAA" : "EAAB"
        let token = prefix + rng.hex(96)
        let expiresAt = now.addingTimeInterval(lifetime ?? configuration.instagramTokenLifetime)
        instagramTokens[token] = InstagramToken(
            accountKey: accountList[index].key, issuedAt: now, expiresAt: expiresAt, revoked: false)
        accountList[index].accessToken = token
        accountList[index].issuedAt = now
        accountList[index].expiresAt = expiresAt
        return token
    }

    /// Issues a TikTok access and refresh token pair. Rotation is strict: every other access
    /// token of the account stops working, and so does every other refresh token.
    func issueTikTokTokens(accountIndex index: Int, grantExpiresAt: Date, now: Date) {
        let key = accountList[index].key
        for (token, record) in tiktokAccessTokens where record.accountKey == key {
            tiktokAccessTokens[token]?.valid = false
        }
        for (token, record) in tiktokRefreshTokens where record.accountKey == key {
            tiktokRefreshTokens[token]?.valid = false
        }
        let accessToken = "act." + rng.hex(56)
        let refreshToken = "rft." + rng.hex(56)
        let expiresAt = now.addingTimeInterval(configuration.tiktokAccessTokenLifetime)
        tiktokAccessTokens[accessToken] = TikTokAccessToken(accountKey: key, expiresAt: expiresAt, valid: true)
        tiktokRefreshTokens[refreshToken] = TikTokRefreshToken(accountKey: key, grantExpiresAt: grantExpiresAt, valid: true)
        accountList[index].accessToken = accessToken
        accountList[index].refreshToken = refreshToken
        accountList[index].issuedAt = now
        accountList[index].expiresAt = expiresAt
        accountList[index].refreshExpiresAt = grantExpiresAt
    }
}
