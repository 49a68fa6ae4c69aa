import Foundation
import Logging

/// `postsync connect` on the daemon's side (CONTRACT section 11): hands out authorize URLs,
/// takes the browser's return (from the control API or the listener's callbacks), exchanges the
/// code and stores the accounts through the supervisor, as `POST /v1/accounts` and
/// `PUT /v1/accounts/{id}/token` would. The SyncLog is not involved; the daemon log says which
/// account connected, never a code, verifier, state or token.
public final class ConnectService: Sendable {
    private let registry = Locked(ConnectRegistry())
    private let oauth: OAuthClient
    private let supervisor: Supervisor
    private let settings: Locked<Configuration>
    private let clock: any DaemonClock
    private let logger: Logger

    /// Creates the service.
    /// - Parameters:
    ///   - supervisor: Stores and starts the accounts.
    ///   - transport: How the platforms are reached.
    ///   - configuration: The configuration in force (`reconfigure` replaces it on a reload).
    ///   - clock: Attempt times and token expiries.
    ///   - logger: For connected accounts and failed exchanges.
    init(
        supervisor: Supervisor, transport: HTTPTransport, configuration: Configuration, clock: any DaemonClock, logger: Logger
    ) {
        self.supervisor = supervisor
        oauth = OAuthClient(transport: transport, clock: clock)
        settings = Locked(configuration)
        self.clock = clock
        self.logger = logger
    }

    /// Takes a reloaded configuration (new app ids, secrets, redirect URIs and scopes apply to
    /// attempts started from now on).
    func reconfigure(_ configuration: Configuration) {
        settings.withLock { $0 = configuration }
    }

    private func configuration() -> Configuration {
        settings.withLock { $0 }
    }

    /// Starts an attempt.
    /// - Parameters:
    ///   - platform: What to connect.
    ///   - login: Instagram only: `instagram` (default) or `facebook`.
    ///   - redirectURI: The redirect the caller listens at: the configured one, or for a port-0
    ///     loopback one, that URI with the caller's port. nil: the configured one.
    /// - Throws: `not_configured` naming the missing key, `invalid_request` for a bad body.
    public func begin(platform: Platform, login: InstagramLogin?, redirectURI given: String?) throws(ControlError)
        -> ConnectStarted
    {
        let c = configuration()
        if platform == .tiktok, login != nil { throw .invalidRequest("login: only Instagram accounts have a login") }
        let configured = try Self.configuredRedirect(platform, c)
        var redirect = configured
        if let given {
            guard case .success(let uri) = RedirectURI.parse(given), configured.admits(uri) else {
                let key = platform == .instagram ? "instagram.redirect_uri" : "tiktok.redirect_uri"
                throw .invalidRequest(
                    "redirectUri: \"\(given)\" is not \(key) (\(configured))"
                        + (configured.needsPort ? " on a port of your choice" : ""))
            }
            redirect = uri
        }
        var random = SystemRandomNumberGenerator()
        let state = ConnectRandom.token(using: &random)
        let verifier = platform == .tiktok ? PKCE.verifier(using: &random) : nil
        let url = try Self.authorizeURL(platform, login: login, redirect: redirect, state: state, verifier: verifier, c)
        let now = clock.now
        let attempt = ConnectAttempt(
            id: "c_" + ConnectRandom.token(bytes: 12, using: &random), platform: platform,
            login: platform == .instagram ? (login ?? .instagram) : nil, redirectURI: redirect, authorizeURL: url,
            createdAt: now, expiresAt: now.addingTimeInterval(ConnectRegistry.lifetime), state: state, verifier: verifier)
        registry.withLock { $0.insert(attempt, now: now) }
        logger.info("connect started", metadata: ["connect.id": "\(attempt.id)", "connect.platform": "\(platform)"])
        return ConnectStarted(
            id: attempt.id, platform: platform, authorizeUrl: url, redirectUri: redirect.text, expiresAt: attempt.expiresAt)
    }

    /// `GET /v1/connect/{id}`.
    public func status(_ id: String) async throws -> ConnectStatus {
        let attempt = try registry.withLock { registry throws(ControlError) in try registry.attempt(id, now: clock.now) }
        return ConnectStatus(
            id: attempt.id, platform: attempt.platform, status: attempt.status,
            accounts: try await views(attempt.accounts), error: attempt.error)
    }

    /// Completes an attempt with what the browser brought back: by id (the control API; the
    /// state, when the caller has it, must match), or by the state alone (the callbacks).
    /// - Returns: The accounts connected.
    /// - Throws: `unknown_connect`, `connect_expired`, `state_mismatch`, `oauth_error`,
    ///   `platform_unavailable`, or a store error.
    func complete(id: String?, _ redirect: OAuthRedirect) async throws -> [AccountView] {
        let state: String? =
            switch redirect {
            case .code(_, let state), .refused(_, _, let state): state
            }
        let now = clock.now
        let attempt = try registry.withLock { registry throws(ControlError) in
            try registry.claim(id: id, state: state, now: now)
        }
        do {
            let accounts: [NewAccount]
            switch redirect {
            case .refused(let error, let description, _):
                throw ControlError.oauthError(attempt.platform, error, description)
            case .code(let code, _):
                accounts = try await exchange(attempt, code: OAuthRedirect.stripMetaSuffix(code))
            }
            let ids = try await store(accounts)
            registry.withLock { $0.finish(attempt.id, .success(ids)) }
            // Stored: a failure to read the views back must not report the connect as failed.
            return (try? await views(ids)) ?? []
        } catch {
            let failure = Self.controlError(error)
            registry.withLock { $0.finish(attempt.id, .failure(failure)) }
            logger.warning(
                "connect failed",
                metadata: ["connect.id": "\(attempt.id)", "connect.platform": "\(attempt.platform)", "error": "\(failure)"])
            throw failure
        }
    }

    // MARK: Steps

    private func exchange(_ attempt: ConnectAttempt, code: String) async throws -> [NewAccount] {
        guard !code.isEmpty else { throw ControlError.invalidRequest("code: must not be empty") }
        let c = configuration()
        switch (attempt.platform, attempt.login) {
        case (.tiktok, _):
            return try await oauth.tiktok(
                code: code, redirectURI: attempt.redirectURI, verifier: attempt.verifier ?? "", configuration: c)
        case (.instagram, .facebook):
            return try await oauth.facebookLogin(code: code, redirectURI: attempt.redirectURI, configuration: c)
        case (.instagram, _):
            return try await oauth.instagramLogin(code: code, redirectURI: attempt.redirectURI, configuration: c)
        }
    }

    /// Adds each new account (auto-sync on, synced at once) or replaces an existing one's tokens
    /// (which clears `needs_reauth` and syncs it at once), only after every exchange succeeded.
    private func store(_ accounts: [NewAccount]) async throws -> [AccountID] {
        var ids: [AccountID] = []
        for account in accounts {
            let now = clock.now
            let record = try account.record(now: now)
            do {
                _ = try await supervisor.addAccount(record)
                logger.notice("account connected", metadata: ["account.id": "\(record.id)", "connect.new": "true"])
            } catch StoreError.accountExists {
                // The login decides which Graph host the token works on: a token of the other
                // login under the stored one would fail at the next sync.
                if let stored = try await supervisor.store.account(record.id), stored.login != record.login {
                    throw ControlError.invalidRequest(
                        "\(record.id) was added with login \(stored.login?.rawValue ?? "none"); connect it with --login "
                            + "\(stored.login?.rawValue ?? "instagram"), or remove it first")
                }
                let token = try account.validated(for: record.id.platform)
                try await supervisor.replaceTokens(record.id, TokenUpdate(token, platform: record.id.platform, now: now))
                logger.notice("account connected", metadata: ["account.id": "\(record.id)", "connect.new": "false"])
            }
            ids.append(record.id)
        }
        return ids
    }

    private func views(_ ids: [AccountID]) async throws -> [AccountView] {
        guard !ids.isEmpty else { return [] }
        let all = try await supervisor.accountViews()
        return ids.compactMap { id in all.first { $0.id == id.description } }
    }

    // MARK: Pure parts

    private static func configuredRedirect(_ platform: Platform, _ c: Configuration) throws(ControlError) -> RedirectURI {
        switch platform {
        case .instagram:
            guard c.instagram.connect.appID != nil else {
                throw .notConfigured("instagram.app_id", "it is the Meta app Instagram users authorize")
            }
            guard c.instagram.appSecret != nil else {
                throw .notConfigured("instagram.app_secret", "the code exchange needs it")
            }
            guard let redirect = c.instagram.connect.redirectURI else {
                throw .notConfigured(
                    "instagram.redirect_uri", "Meta sends the browser back there (https://…/oauth/instagram/callback)")
            }
            return redirect
        case .tiktok:
            guard c.tiktok.clientKey != nil else {
                throw .notConfigured("tiktok.client_key", "it is the app TikTok users authorize")
            }
            guard c.tiktok.clientSecret != nil else {
                throw .notConfigured("tiktok.client_secret", "the code exchange needs it")
            }
            guard let redirect = c.tiktok.connect.redirectURI else {
                throw .notConfigured("tiktok.redirect_uri", "TikTok sends the browser back there")
            }
            return redirect
        }
    }

    /// The platform's authorize URL for an attempt.
    static func authorizeURL(
        _ platform: Platform, login: InstagramLogin?, redirect: RedirectURI, state: String, verifier: String?,
        _ c: Configuration
    ) throws(ControlError) -> String {
        let base: String
        let pairs: [(String, String)]
        switch (platform, login) {
        case (.tiktok, _):
            base = c.tiktok.connect.authorizeURL
            pairs = [
                ("client_key", c.tiktok.clientKey ?? ""), ("scope", c.tiktok.connect.scopes.joined(separator: ",")),
                ("response_type", "code"), ("redirect_uri", redirect.text), ("state", state),
                ("code_challenge", PKCE.challenge(for: verifier ?? "")), ("code_challenge_method", "S256"),
            ]
        case (.instagram, .facebook):
            base = c.instagram.connect.facebookAuthorizeURL
            pairs = [
                ("client_id", c.instagram.connect.appID ?? ""), ("redirect_uri", redirect.text), ("state", state),
                ("response_type", "code"),
                ("scope", Configuration.InstagramConnect.facebookScopes.joined(separator: ",")),
            ]
        case (.instagram, _):
            base = c.instagram.connect.authorizeURL
            pairs = [
                ("client_id", c.instagram.connect.appID ?? ""), ("redirect_uri", redirect.text),
                ("response_type", "code"), ("scope", c.instagram.connect.scopes.joined(separator: ",")),
                ("state", state),
            ]
        }
        return base + (base.contains("?") ? "&" : "?") + FormEncoding.encode(pairs)
    }

    private static func controlError(_ error: any Error) -> ControlError {
        switch error {
        case let error as ControlError: return error
        case StoreError.unavailable(let why): return .databaseUnavailable("database unavailable: \(why)")
        case let error as StoreError: return .internalError("\(error)")
        default: return .internalError("connect failed: \(type(of: error))")
        }
    }
}
