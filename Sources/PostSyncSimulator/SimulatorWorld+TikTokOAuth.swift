import Foundation

extension SimulatorWorld {
    /// `POST /v2/oauth/token/` with a form body (`client_key`, `client_secret`,
    /// `grant_type=refresh_token`, `refresh_token`).
    ///
    /// Follows the newest TikTok pages: rotation is strict (the sent refresh token and the
    /// account's previous access token stop working at once), and `refresh_expires_in` is what
    /// remains of the original grant, never extended. `grant_type=authorization_code` is the
    /// connect flow's code exchange (`tiktokCodeExchange`).
    func tiktokOAuthToken(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        let form = request.formFields
        guard let clientKey = form["client_key"], let clientSecret = form["client_secret"], let grantType = form["grant_type"]
        else {
            return TikTokResponses.oauthError(
                "invalid_request", description: "The request parameters are malformed.", logId: nextLogId())
        }
        guard clientKey == configuration.tiktokClientKey, clientSecret == configuration.tiktokClientSecret else {
            return TikTokResponses.oauthError(
                "invalid_client", description: "Client key or secret is incorrect.", logId: nextLogId())
        }
        if grantType == "authorization_code" { return tiktokCodeExchange(form, now: now) }
        guard grantType == "refresh_token" else {
            return TikTokResponses.oauthError(
                "unsupported_grant_type", description: "The grant type is not supported by the simulator.", logId: nextLogId()
            )
        }
        guard let refreshToken = form["refresh_token"], !refreshToken.isEmpty else {
            return TikTokResponses.oauthError(
                "invalid_request", description: "The request parameters are malformed.", logId: nextLogId())
        }
        guard let record = tiktokRefreshTokens[refreshToken], record.valid, record.grantExpiresAt > now,
            let index = accountIndex(key: record.accountKey)
        else {
            return TikTokResponses.oauthError(
                "invalid_grant", description: "Refresh token is invalid or expired.", logId: nextLogId()
            )
        }
        issueTikTokTokens(accountIndex: index, grantExpiresAt: record.grantExpiresAt, now: now)
        let account = accountList[index]
        let body: JSONValue = .object([
            ("access_token", .string(account.accessToken)),
            ("expires_in", .int(Int(configuration.tiktokAccessTokenLifetime))),
            ("open_id", .string(account.externalId)),
            ("refresh_expires_in", .int(Int(record.grantExpiresAt.timeIntervalSince(now)))),
            ("refresh_token", .string(account.refreshToken ?? "")),
            ("scope", .string("user.info.basic,video.list")),
            ("token_type", .string("Bearer")),
        ])
        return .json(200, body)
    }
}
