import Crypto
import Foundation

/// The platforms' side of CONTRACT section 11: consent screens that answer with the redirect a
/// user who clicks "allow" would cause, and the code exchanges with the platforms' error bodies.
///
/// Who the simulated user is, and what they do, comes from query flags on the authorize URL
/// (a test "browser" appends them; the daemon never sends them):
/// - `sim_user=<id>` (for Facebook Login a comma-separated list, or `none`): re-authorize these
///   existing accounts; without it a new account is created, as for a first-time user;
/// - `sim_deny=1`: the user clicks "cancel";
/// - `sim_scope=a,b` (TikTok): the user unticks the other scopes.
extension SimulatorWorld {
    /// Meta's message when the `redirect_uri` of the exchange is not the dialog's.
    static let metaRedirectMismatch =
        "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in "
        + "the OAuth dialog request"

    // MARK: Consent screens

    /// `GET /oauth/authorize` (Instagram Login), `GET /{v}/dialog/oauth` (Facebook Login) and
    /// `GET /v2/auth/authorize/` (TikTok): a 302 to `redirect_uri` with `code` and `state` (or
    /// `error`), or a 400 page when the request is one the platform would not even show.
    func oauthAuthorize(_ request: SimulatorHTTPRequest, flow: String, now: Date) -> SimulatorHTTPResponse {
        let query = request.query
        let clientOK =
            flow == "tiktok"
            ? query["client_key"] == configuration.tiktokClientKey : query["client_id"] == configuration.instagramAppId
        guard clientOK else { return Self.consentError("The app (client id) is not known.") }
        guard let redirect = query["redirect_uri"], !redirect.isEmpty, URLComponents(string: redirect)?.host != nil else {
            return Self.consentError("redirect_uri is missing or invalid.")
        }
        guard query["response_type"] == "code" else { return Self.consentError("response_type must be code.") }
        var challenge: String?
        if flow == "tiktok" {
            guard query["code_challenge_method"] == "S256", let given = query["code_challenge"], !given.isEmpty else {
                return Self.consentError("code_challenge and code_challenge_method=S256 are required.")
            }
            challenge = given
        }
        let state = query["state"]
        if query["sim_deny"] == "1" {
            var pairs = [("error", "access_denied")]
            if flow != "tiktok" { pairs += [("error_reason", "user_denied")] }
            pairs += [("error_description", flow == "tiktok" ? "The user denied the authorization." : "Permissions error")]
            if let state { pairs.append(("state", state)) }
            return Self.redirect(to: redirect, pairs, metaSuffix: flow == "instagram")
        }
        guard let keys = consentingAccounts(flow: flow, user: query["sim_user"], now: now) else {
            return Self.consentError("sim_user names no account this login can grant.")
        }
        let code = (flow == "tiktok" ? "" : "AQ") + rng.hex(64)
        let scope = query["sim_scope"] ?? query["scope"] ?? ""
        oauthCodes[code] = OAuthCode(
            flow: flow, redirectURI: redirect, challenge: challenge, accountKeys: keys, scope: scope,
            expiresAt: now.addingTimeInterval(configuration.oauthCodeLifetime))
        var pairs = [("code", code)]
        if let state { pairs.append(("state", state)) }
        if flow == "tiktok" { pairs.append(("scopes", scope)) }
        return Self.redirect(to: redirect, pairs, metaSuffix: flow == "instagram")
    }

    /// Marks every unredeemed code expired (`POST /_sim/oauth/expire-codes`), so tests need not
    /// wait an hour.
    func expireOAuthCodes() -> Int {
        let past = currentTime().addingTimeInterval(-1)
        for key in oauthCodes.keys { oauthCodes[key]?.expiresAt = past }
        return oauthCodes.count
    }

    /// The accounts a consent grants: the named ones, or a new account.
    private func consentingAccounts(flow: String, user: String?, now: Date) -> [String]? {
        let platform = flow == "tiktok" ? "tiktok" : "instagram"
        let login: String? = flow == "tiktok" ? nil : flow
        guard let user, !user.isEmpty else {
            let index = accountList.count(where: { $0.platform == platform })
            let seeded = WorldSeeder.one(
                platform: platform, login: login, index: index, nextSerial: nextSerial, configuration, now: now, rng: &rng)
            adopt(seeded)
            return seeded.accounts.map(\.key)
        }
        if flow == "facebook", user == "none" { return [] }
        let ids = flow == "facebook" ? user.split(separator: ",").map(String.init) : [user]
        var keys: [String] = []
        for id in ids {
            guard let index = accountIndex(platform: platform, externalId: id), accountList[index].login == login else {
                return nil
            }
            keys.append(accountList[index].key)
        }
        return keys
    }

    /// Takes the accounts of a freshly seeded world into this one.
    private func adopt(_ seeded: WorldSeeder.Seeded) {
        appendAccounts(seeded.accounts)
        profiles.merge(seeded.profiles) { $1 }
        instagramTokens.merge(seeded.instagramTokens) { $1 }
        tiktokAccessTokens.merge(seeded.tiktokAccessTokens) { $1 }
        tiktokRefreshTokens.merge(seeded.tiktokRefreshTokens) { $1 }
        for (key, posts) in seeded.posts {
            postsByAccount[key] = posts
            for post in posts { postOwner[post.id] = key }
        }
        nextSerial = seeded.nextSerial
    }

    // MARK: Instagram Login

    /// `POST /oauth/access_token` (api.instagram.com): code → short-lived token and `user_id`,
    /// errors in that host's `error_type`/`error_message` shape.
    func instagramCodeExchange(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        let form = request.formFields
        func fail(_ message: String) -> SimulatorHTTPResponse {
            .json(
                400,
                .object([("error_type", .string("OAuthException")), ("code", .int(400)), ("error_message", .string(message))]))
        }
        guard let code = form["code"], let redirect = form["redirect_uri"], form["grant_type"] != nil else {
            return fail("Missing required parameter: code, redirect_uri and grant_type are required")
        }
        guard form["client_id"] == configuration.instagramAppId else { return fail("Invalid platform app") }
        guard form["client_secret"] == configuration.instagramAppSecret else { return fail("Error validating client secret.") }
        guard form["grant_type"] == "authorization_code" else { return fail("Unsupported grant_type") }
        switch redeem(code, flow: "instagram", redirect: redirect, now: now) {
        case .failure(.unknown): return fail("Invalid authorization code")
        case .failure(.used): return fail("This authorization code has been used")
        case .failure(.expired): return fail("This authorization code has expired")
        case .failure(.redirect): return fail(Self.metaRedirectMismatch)
        case .success(let grant):
            guard let key = grant.accountKeys.first, let index = accountIndex(key: key) else {
                return fail("Invalid authorization code")
            }
            let token = "IGAAshort" + rng.hex(64)
            instagramShortTokens[token] = ShortLivedToken(accountKey: key, expiresAt: now.addingTimeInterval(3_600))
            let externalId = accountList[index].externalId
            let userID: JSONValue = Int(externalId).map { .int($0) } ?? .string(externalId)
            let entry: JSONValue = .object([
                ("access_token", .string(token)), ("user_id", userID),
                ("permissions", .string("instagram_business_basic,instagram_business_manage_insights")),
            ])
            return .json(200, .object([("data", .array([entry]))]))
        }
    }

    /// `GET /access_token?grant_type=ig_exchange_token&client_secret=…&access_token=<short>`:
    /// the 60-day token.
    func instagramExchangeToken(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        guard request.query["grant_type"] == "ig_exchange_token" else {
            return InstagramResponses.invalidParameter(
                "(#100) Invalid grant_type, expected ig_exchange_token", traceId: nextTraceId())
        }
        guard request.query["client_secret"] == configuration.instagramAppSecret else {
            return Self.clientSecretError(traceId: nextTraceId())
        }
        guard let token = request.query["access_token"], let short = instagramShortTokens[token], short.expiresAt > now,
            let index = accountIndex(key: short.accountKey)
        else {
            return InstagramResponses.invalid("Invalid OAuth access token - Cannot parse access token", traceId: nextTraceId())
        }
        let long = issueInstagramToken(accountIndex: index, now: now)
        return InstagramResponses.ok(Self.metaToken(long, lifetime: configuration.instagramTokenLifetime), usage: nil)
    }

    // MARK: Facebook Login

    /// `GET /{v}/oauth/access_token`: the dialog's code exchange, or with
    /// `grant_type=fb_exchange_token` the long-lived user token. Graph errors with Meta's subcodes.
    func facebookToken(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        let query = request.query
        guard query["client_id"] == configuration.instagramAppId else {
            return InstagramResponses.error(
                status: 400, code: 101, message: "Error validating application. Invalid application ID.",
                traceId: nextTraceId())
        }
        guard query["client_secret"] == configuration.instagramAppSecret else {
            return Self.clientSecretError(traceId: nextTraceId())
        }
        if query["grant_type"] == "fb_exchange_token" {
            guard let short = query["fb_exchange_token"].flatMap({ facebookUserTokens[$0] }), short.expiresAt > now else {
                return InstagramResponses.invalid(
                    "Invalid OAuth access token - Cannot parse access token", traceId: nextTraceId())
            }
            let token = "EAABuser" + rng.hex(80)
            let lifetime = configuration.instagramTokenLifetime
            facebookUserTokens[token] = FacebookUserToken(
                accountKeys: short.accountKeys, expiresAt: now.addingTimeInterval(lifetime), longLived: true)
            return InstagramResponses.ok(Self.metaToken(token, lifetime: lifetime), usage: nil)
        }
        guard let code = query["code"], let redirect = query["redirect_uri"] else {
            return InstagramResponses.invalidParameter("Missing redirect_uri or code parameter.", traceId: nextTraceId())
        }
        switch redeem(code, flow: "facebook", redirect: redirect, now: now) {
        case .failure(.unknown):
            return InstagramResponses.error(
                status: 400, code: 100, message: "Invalid verification code format.", traceId: nextTraceId())
        case .failure(.used):
            return InstagramResponses.error(
                status: 400, code: 100, subcode: 36009, message: "This authorization code has been used.", traceId: nextTraceId())
        case .failure(.expired):
            return InstagramResponses.error(
                status: 400, code: 100, subcode: 36007, message: "This authorization code has expired.", traceId: nextTraceId())
        case .failure(.redirect):
            return InstagramResponses.error(
                status: 400, code: 100, subcode: 36008, message: Self.metaRedirectMismatch, traceId: nextTraceId())
        case .success(let grant):
            let token = "EAABshort" + rng.hex(80)
            facebookUserTokens[token] = FacebookUserToken(
                accountKeys: grant.accountKeys, expiresAt: now.addingTimeInterval(2 * 3_600), longLived: false)
            return InstagramResponses.ok(Self.metaToken(token, lifetime: 2 * 3_600), usage: nil)
        }
    }

    /// `GET /{v}/me/accounts`: the Pages the user granted, each with a Page token (which never
    /// expires when the user token is long-lived) and its linked Instagram professional account.
    func facebookPages(_ request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        guard let token = request.graphAccessToken, let user = facebookUserTokens[token] else {
            return InstagramResponses.invalid("Invalid OAuth access token - Cannot parse access token", traceId: nextTraceId())
        }
        guard user.expiresAt > now else {
            return InstagramResponses.expired(at: user.expiresAt, now: now, traceId: nextTraceId())
        }
        let fields = Set(GraphField.parse(request.query["fields"]).map(\.name))
        var pages: [JSONValue] = []
        for key in user.accountKeys {
            guard let index = accountIndex(key: key) else { continue }
            let account = accountList[index]
            var members: [(String, JSONValue)] = []
            if fields.contains("access_token") {
                // 100 years stands for Meta's "no expiration date".
                let lifetime: TimeInterval = user.longLived ? 100 * 365 * 86_400 : 3_600
                members.append(("access_token", .string(issueInstagramToken(accountIndex: index, now: now, lifetime: lifetime))))
            }
            if fields.contains("name") { members.append(("name", .string(profiles[key]?.displayName ?? account.username))) }
            if fields.contains("instagram_business_account") {
                members.append(
                    (
                        "instagram_business_account",
                        .object([("id", .string(account.externalId)), ("username", .string(account.username))])
                    ))
            }
            members.append(("id", .string("10" + account.externalId.suffix(13))))
            pages.append(.object(members))
        }
        let paging: JSONValue = .object([("cursors", .object([("before", .string("QVFIUk")), ("after", .string("QVFIUl"))]))])
        return InstagramResponses.ok(.object([("data", .array(pages)), ("paging", paging)]), usage: nil)
    }

    // MARK: TikTok

    /// `POST /v2/oauth/token/` with `grant_type=authorization_code`: verifies the PKCE verifier
    /// the TikTok way (lowercase hex SHA-256), so a base64url challenge fails as it would there.
    func tiktokCodeExchange(_ form: [String: String], now: Date) -> SimulatorHTTPResponse {
        func fail(_ error: String, _ description: String) -> SimulatorHTTPResponse {
            TikTokResponses.oauthError(error, description: description, logId: nextLogId())
        }
        guard let code = form["code"], let redirect = form["redirect_uri"], let verifier = form["code_verifier"] else {
            return fail("invalid_request", "The request parameters are malformed.")
        }
        switch redeem(code, flow: "tiktok", redirect: redirect, now: now) {
        case .failure(.unknown): return fail("invalid_grant", "Authorization code is invalid.")
        case .failure(.used): return fail("invalid_grant", "Authorization code has been used.")
        case .failure(.expired): return fail("invalid_grant", "Authorization code is expired.")
        case .failure(.redirect): return fail("invalid_request", "Redirect_uri is not matched with the uri when requesting code.")
        case .success(let grant):
            let hex = SHA256.hash(data: Data(verifier.utf8)).map { String(format: "%02x", $0) }.joined()
            guard hex == grant.challenge else { return fail("invalid_grant", "Code verifier or code challenge is invalid.") }
            guard let key = grant.accountKeys.first, let index = accountIndex(key: key) else {
                return fail("invalid_grant", "Authorization code is invalid.")
            }
            let grantExpiresAt = now.addingTimeInterval(configuration.tiktokRefreshTokenLifetime)
            issueTikTokTokens(accountIndex: index, grantExpiresAt: grantExpiresAt, now: now)
            let account = accountList[index]
            return .json(
                200,
                .object([
                    ("access_token", .string(account.accessToken)),
                    ("expires_in", .int(Int(configuration.tiktokAccessTokenLifetime))),
                    ("open_id", .string(account.externalId)),
                    ("refresh_expires_in", .int(Int(configuration.tiktokRefreshTokenLifetime))),
                    ("refresh_token", .string(account.refreshToken ?? "")),
                    ("scope", .string(grant.scope)),
                    ("token_type", .string("Bearer")),
                ]))
        }
    }

    // MARK: Shared

    /// Why a code cannot be exchanged.
    enum RedeemFailure: Error { case unknown, used, expired, redirect }

    /// Redeems a code of `flow` once: a used, expired or mismatched code fails (and a code that
    /// was tried is used up, whatever the outcome).
    private func redeem(_ code: String, flow: String, redirect: String, now: Date) -> Result<OAuthCode, RedeemFailure> {
        guard let grant = oauthCodes[code], grant.flow == flow else { return .failure(.unknown) }
        guard !grant.used else { return .failure(.used) }
        oauthCodes[code]?.used = true
        guard grant.expiresAt > now else { return .failure(.expired) }
        guard grant.redirectURI == redirect else { return .failure(.redirect) }
        return .success(grant)
    }

    private static func metaToken(_ token: String, lifetime: TimeInterval) -> JSONValue {
        .object([("access_token", .string(token)), ("token_type", .string("bearer")), ("expires_in", .int(Int(lifetime)))])
    }

    private static func clientSecretError(traceId: String) -> SimulatorHTTPResponse {
        InstagramResponses.error(status: 400, code: 1, message: "Error validating client secret.", traceId: traceId)
    }

    private static func consentError(_ message: String) -> SimulatorHTTPResponse {
        .encoded(400, ["error": message])
    }

    /// A 302 to `url` with `pairs` added to its query (and Meta's `#_`).
    private static func redirect(to url: String, _ pairs: [(String, String)], metaSuffix: Bool) -> SimulatorHTTPResponse {
        let location = url + (url.contains("?") ? "&" : "?") + QueryString.build(pairs) + (metaSuffix ? "#_" : "")
        return SimulatorHTTPResponse(status: 302, headers: ["Location": location, "Content-Length": "0"])
    }
}
