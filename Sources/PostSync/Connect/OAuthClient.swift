import Foundation
import NIOHTTP1

/// The code exchanges of CONTRACT section 11, over the platform transport. Every function turns
/// a single-use code into the accounts it grants, or throws a `ControlError` (`oauth_error` with
/// the platform's words, `platform_unavailable` when it cannot be reached). Nothing is stored
/// here: the caller stores the accounts only once the whole exchange has succeeded, so a failure
/// leaves no half-made account. Codes, secrets and tokens travel in form bodies, query strings
/// and headers only; errors never carry a URL.
struct OAuthClient: Sendable {
    let transport: HTTPTransport
    let clock: any DaemonClock

    /// Instagram Login: code → short-lived token → at once the 60-day token → `/me`.
    func instagramLogin(code: String, redirectURI: RedirectURI, configuration c: Configuration) async throws -> [NewAccount] {
        let (appID, secret) = try Self.metaApp(c)
        let calls = CallCounter()
        let form = FormEncoding.encode([
            ("client_id", appID), ("client_secret", secret), ("grant_type", "authorization_code"),
            ("redirect_uri", redirectURI.text), ("code", code),
        ])
        let exchanged = try await send(
            .POST, c.instagram.connect.tokenURL, body: form, what: "Instagram code exchange",
            calls: calls)
        let answer = try Self.decode(InstagramCodeAnswer.self, exchanged, what: "Instagram code exchange")
        if let type = answer.errorType { throw ControlError.oauthError(.instagram, type, answer.errorMessage) }
        guard let grant = answer.grant else { throw Self.metaError(exchanged) ?? Self.unreadable("Instagram code exchange") }
        // The short-lived token lasts an hour: exchange it now, or the account dies today
        // (NangoHQ/nango PR #5220).
        let query = FormEncoding.encode([
            ("grant_type", "ig_exchange_token"), ("client_secret", secret), ("access_token", grant.token),
        ])
        let long = try await metaToken(c.instagram.graphURL + "/access_token?" + query, what: "ig_exchange_token", calls: calls)
        let meAnswer = try await send(
            .GET, "\(c.instagram.graphURL)/\(c.instagram.apiVersion)/me?fields=user_id,username", token: long.token,
            what: "Instagram /me", calls: calls)
        if let error = Self.metaError(meAnswer) { throw error }
        guard meAnswer.status == 200 else { throw Self.unreadable("Instagram /me (HTTP \(meAnswer.status))") }
        let me = try Self.decode(InstagramMe.self, meAnswer, what: "Instagram /me")
        guard let userID = me.userId?.value ?? grant.userId ?? me.id?.value else {
            throw Self.unreadable("Instagram /me (no user_id)")
        }
        let now = clock.now
        return [
            NewAccount(
                platform: .instagram, externalId: userID, accessToken: long.token, expiresAt: long.expiresAt(now),
                username: me.username, login: .instagram, autoSync: true, issuedAt: now)
        ]
    }

    /// Facebook Login: code → user token → long-lived user token → every Instagram professional
    /// account linked to a granted Page, each with its Page token (which does not expire when it
    /// comes from a long-lived user token), else the user token.
    func facebookLogin(code: String, redirectURI: RedirectURI, configuration c: Configuration) async throws -> [NewAccount] {
        let (appID, secret) = try Self.metaApp(c)
        let calls = CallCounter()
        let base = "\(c.instagram.facebookGraphURL)/\(c.instagram.apiVersion)"
        let codeQuery = FormEncoding.encode([
            ("client_id", appID), ("redirect_uri", redirectURI.text), ("client_secret", secret), ("code", code),
        ])
        let short = try await metaToken(base + "/oauth/access_token?" + codeQuery, what: "Facebook code exchange", calls: calls)
        let exchangeQuery = FormEncoding.encode([
            ("grant_type", "fb_exchange_token"), ("client_id", appID), ("client_secret", secret),
            ("fb_exchange_token", short.token),
        ])
        let long = try await metaToken(base + "/oauth/access_token?" + exchangeQuery, what: "fb_exchange_token", calls: calls)
        let fields = FormEncoding.encode([("fields", "access_token,instagram_business_account{id,username}"), ("limit", "100")])
        let pagesAnswer = try await send(
            .GET, base + "/me/accounts?" + fields, token: long.token, what: "Facebook /me/accounts",
            calls: calls)
        let pages = try Self.decode(FacebookPages.self, pagesAnswer, what: "Facebook /me/accounts")
        let now = clock.now
        var accounts: [NewAccount] = []
        for page in pages.data {
            guard let linked = page.instagramBusinessAccount,
                !accounts.contains(where: { $0.externalId == linked.id.value })
            else { continue }
            let pageToken = page.accessToken.flatMap { $0.isEmpty ? nil : $0 }
            accounts.append(
                NewAccount(
                    platform: .instagram, externalId: linked.id.value, accessToken: pageToken ?? long.token,
                    expiresAt: pageToken == nil ? long.expiresAt(now) : nil, username: linked.username, login: .facebook,
                    autoSync: true, issuedAt: now))
        }
        guard !accounts.isEmpty else {
            throw ControlError.oauthError(
                .instagram, "no_instagram_account",
                "none of the Facebook Pages this user granted is linked to an Instagram professional account")
        }
        return accounts
    }

    /// TikTok: code + PKCE verifier → both tokens and their lifetimes → `user/info` for the name.
    func tiktok(
        code: String, redirectURI: RedirectURI, verifier: String, configuration c: Configuration
    ) async throws -> [NewAccount] {
        guard let key = c.tiktok.clientKey else {
            throw ControlError.notConfigured("tiktok.client_key", "it is the app TikTok users authorize")
        }
        guard let secret = c.tiktok.clientSecret?.value else {
            throw ControlError.notConfigured("tiktok.client_secret", "the code exchange needs it")
        }
        let calls = CallCounter()
        let form = FormEncoding.encode([
            ("client_key", key), ("client_secret", secret), ("code", code), ("grant_type", "authorization_code"),
            ("redirect_uri", redirectURI.text), ("code_verifier", verifier),
        ])
        let exchanged = try await send(
            .POST, c.tiktok.apiURL + "/v2/oauth/token/", body: form, what: "TikTok code exchange",
            calls: calls)
        // TikTok's OAuth errors are top-level strings, and their HTTP status is not documented:
        // classify by the body.
        let answer = try Self.decode(TikTokTokenAnswer.self, exchanged, what: "TikTok code exchange")
        if let error = answer.error, !error.isEmpty { throw ControlError.oauthError(.tiktok, error, answer.errorDescription) }
        guard let access = answer.accessToken, !access.isEmpty, let refresh = answer.refreshToken, !refresh.isEmpty,
            let openID = answer.openId, !openID.isEmpty
        else { throw Self.unreadable("TikTok code exchange") }
        if let granted = answer.scope?.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }),
            !granted.contains("video.list")
        {
            throw ControlError.oauthError(
                .tiktok, "scope_not_granted", "the user did not grant video.list, which reading their videos needs")
        }
        let now = clock.now
        return [
            NewAccount(
                platform: .tiktok, externalId: openID, accessToken: access, refreshToken: refresh,
                expiresAt: answer.expiresIn.map { now.addingTimeInterval(TimeInterval($0)) },
                refreshExpiresAt: answer.refreshExpiresIn.map { now.addingTimeInterval(TimeInterval($0)) },
                username: await tiktokDisplayName(apiURL: c.tiktok.apiURL, token: access, calls: calls), autoSync: true,
                issuedAt: now)
        ]
    }

    /// The display name, or nil when `user/info` does not give it (the account works without one).
    private func tiktokDisplayName(apiURL: String, token: String, calls: CallCounter) async -> String? {
        guard
            let answer = try? await send(
                .GET, apiURL + "/v2/user/info/?fields=open_id,display_name", token: token,
                what: "TikTok user/info", calls: calls),
            answer.status == 200,
            let info = try? JSONDecoder().decode(TikTokEnvelope<TikTokUserInfo>.self, from: answer.body)
        else { return nil }
        return info.data?.user.displayName.flatMap { $0.isEmpty ? nil : $0 }
    }

    // MARK: Plumbing

    /// A Meta token answer (`access_token`, `expires_in`) of a GET, or the Graph error it carries.
    private func metaToken(_ url: String, what: String, calls: CallCounter) async throws -> MetaGrant {
        let answer = try await send(.GET, url, what: what, calls: calls)
        if let error = Self.metaError(answer) { throw error }
        let token = try Self.decode(MetaTokenAnswer.self, answer, what: what)
        guard let access = token.accessToken, !access.isEmpty else { throw Self.unreadable(what) }
        return MetaGrant(token: access, expiresIn: token.expiresIn)
    }

    private func send(
        _ method: HTTPMethod, _ url: String, body: String? = nil, token: String? = nil, what: String, calls: CallCounter
    ) async throws -> HTTPAnswer {
        var headers: [(String, String)] = []
        if body != nil { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let answer: HTTPAnswer
        do {
            answer = try await transport.send(method, url, headers: headers, body: body.map { Data($0.utf8) }, calls: calls)
        } catch let error as PlatformError {
            throw ControlError.platformUnavailable("\(what): \(error)")
        }
        return answer
    }

    /// Meta's Graph error (`{"error":{"message","type","code"}}`) as an `oauth_error`.
    private static func metaError(_ answer: HTTPAnswer) -> ControlError? {
        guard let envelope = try? JSONDecoder().decode(GraphErrorEnvelope.self, from: answer.body) else { return nil }
        let error = envelope.error
        return .oauthError(.instagram, "\(error.type ?? "OAuthException") (#\(error.code))", error.message)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ answer: HTTPAnswer, what: String) throws -> T {
        if let value = try? JSONDecoder().decode(T.self, from: answer.body) { return value }
        throw metaError(answer) ?? unreadable("\(what) (HTTP \(answer.status))")
    }

    private static func unreadable(_ what: String) -> ControlError {
        .platformUnavailable("\(what): the answer could not be read")
    }

    private static func metaApp(_ c: Configuration) throws(ControlError) -> (id: String, secret: String) {
        guard let id = c.instagram.connect.appID else {
            throw .notConfigured("instagram.app_id", "it is the Meta app Instagram users authorize")
        }
        guard let secret = c.instagram.appSecret?.value else {
            throw .notConfigured("instagram.app_secret", "the code exchange needs it")
        }
        return (id, secret)
    }
}

/// A Meta access token and its lifetime.
struct MetaGrant {
    let token: String
    let expiresIn: Int64?

    /// When it expires, counted from `now`; nil when Meta gave no lifetime.
    func expiresAt(_ now: Date) -> Date? {
        expiresIn.map { now.addingTimeInterval(TimeInterval($0)) }
    }
}
