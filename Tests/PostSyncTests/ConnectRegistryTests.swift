import Foundation
import Testing

@testable import PostSync

/// The pure parts of `postsync connect` (CONTRACT section 11), with a fixed `now`: TikTok's
/// lowercase hex PKCE challenge, the attempts' expiry and single-use state, the redirect's
/// parsing (Meta's `#_`), redirect URIs and the new config keys.
@Suite struct ConnectRegistryTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func attempt(_ id: String, state: String, at time: Date = now) throws -> ConnectAttempt {
        let redirect = try RedirectURI.parse("http://127.0.0.1:5123/callback/").get()
        return ConnectAttempt(
            id: id, platform: .tiktok, login: nil, redirectURI: redirect, authorizeURL: "https://example.test/authorize",
            createdAt: time, expiresAt: time.addingTimeInterval(ConnectRegistry.lifetime), state: state, verifier: "v")
    }

    /// The code a `ControlError` thrown by `body` carries, or nil when nothing was thrown.
    static func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as ControlError {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    // MARK: PKCE

    /// Should be the lowercase hex SHA-256 of the verifier (RFC 7636's appendix B verifier), not
    /// RFC 7636's base64url, which TikTok refuses.
    @Test func challengeIsLowercaseHex() {
        let challenge = PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        #expect(challenge == "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3")
        #expect(challenge != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    /// Should draw 64 unreserved characters, differently each time; states are 43 base64url ones.
    @Test func verifierAndState() {
        var random = SplitMix64(seed: 7)
        let one = PKCE.verifier(using: &random)
        let two = PKCE.verifier(using: &random)
        #expect(one.count == 64 && one != two)
        #expect(one.allSatisfy { PKCE.alphabet.contains($0) })
        let state = ConnectRandom.token(using: &random)
        #expect(state.count == 43)
        #expect(!state.contains { "+/=".contains($0) })
    }

    // MARK: Attempts

    /// Should take a state once, refuse another attempt's state without using up the attempt,
    /// and find an attempt by its state alone.
    @Test func stateIsSingleUse() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "state-a"), now: Self.now)
        registry.insert(try Self.attempt("b", state: "state-b"), now: Self.now)
        #expect(Self.code { _ = try registry.claim(id: "a", state: "state-b", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: "a", state: "state-a", now: Self.now) } == nil)
        #expect(Self.code { _ = try registry.claim(id: "a", state: "state-a", now: Self.now) } == "state_mismatch")
        let found = try registry.claim(id: nil, state: "state-b", now: Self.now)
        #expect(found.id == "b")
        #expect(Self.code { _ = try registry.claim(id: nil, state: "state-b", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: nil, state: "nobody's", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: "zzz", state: nil, now: Self.now) } == "unknown_connect")
    }

    /// Should answer 410 once a pending attempt's 10 minutes are over, by id and by state, and
    /// forget it `retention` later.
    @Test func expiry() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "s"), now: Self.now)
        let late = Self.now.addingTimeInterval(ConnectRegistry.lifetime)
        #expect(Self.code { _ = try registry.attempt("a", now: late.addingTimeInterval(-1)) } == nil)
        #expect(Self.code { _ = try registry.attempt("a", now: late) } == "connect_expired")
        #expect(Self.code { _ = try registry.claim(id: "a", state: "s", now: late) } == "connect_expired")
        #expect(Self.code { _ = try registry.claim(id: nil, state: "s", now: late) } == "connect_expired")
        #expect(ControlError.connectExpired.status == 410)
        registry.prune(now: late.addingTimeInterval(ConnectRegistry.retention))
        #expect(Self.code { _ = try registry.attempt("a", now: late) } == "unknown_connect")
    }

    /// Should show the outcome of a finished attempt, even after its expiry.
    @Test func outcomes() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("ok", state: "s1"), now: Self.now)
        registry.insert(try Self.attempt("no", state: "s2"), now: Self.now)
        let account = AccountID(platform: .tiktok, externalID: "open-1")
        _ = try registry.claim(id: "ok", state: "s1", now: Self.now)
        registry.finish("ok", .success([account]))
        _ = try registry.claim(id: "no", state: "s2", now: Self.now)
        registry.finish("no", .failure(.oauthError(.tiktok, "access_denied", nil)))
        let later = Self.now.addingTimeInterval(ConnectRegistry.lifetime + 1)
        let connected = try registry.attempt("ok", now: later)
        #expect(connected.status == .connected && connected.accounts == [account])
        let failed = try registry.attempt("no", now: later)
        #expect(failed.status == .failed && failed.error?.code == "oauth_error")
    }

    /// Should keep at most `capacity` attempts, dropping the oldest.
    @Test func capacity() throws {
        var registry = ConnectRegistry()
        for index in 0...ConnectRegistry.capacity {
            let time = Self.now.addingTimeInterval(Double(index) * 0.001)
            registry.insert(try Self.attempt("a\(index)", state: "s\(index)", at: time), now: time)
        }
        #expect(Self.code { _ = try registry.attempt("a0", now: Self.now) } == "unknown_connect")
        #expect(Self.code { _ = try registry.attempt("a1", now: Self.now) } == nil)
    }

    // MARK: Redirects

    /// Should read the code and state of a pasted URL without Meta's `#_`, and an error redirect.
    @Test func redirectParsing() throws {
        let pasted = try OAuthRedirect.parse(url: "https://sync.example.com/oauth/instagram/callback?code=AQBx-y_z&state=abc#_")
        #expect(pasted == .code("AQBx-y_z", state: "abc"))
        let refused = try OAuthRedirect.parse(
            url: "https://sync.example.com/cb?error=access_denied&error_reason=user_denied&error_description=Nope&state=s")
        #expect(refused == .refused(error: "access_denied", description: "Nope", state: "s"))
        #expect(Self.code { _ = try OAuthRedirect.parse(url: "https://sync.example.com/cb?state=s") } == "invalid_request")
        #expect(Self.code { _ = try OAuthRedirect.parse(url: "not a url") } == "invalid_request")
        #expect(OAuthRedirect.stripMetaSuffix("abc#_") == "abc")
    }

    /// Should take https anywhere, http and port 0 only on loopback, and admit a port-0 URI on
    /// any real port with the same path.
    @Test func redirectURIs() throws {
        let loopback = try RedirectURI.parse("http://127.0.0.1:0/callback/").get()
        #expect(loopback.isLoopback && loopback.needsPort)
        let bound = loopback.withPort(5123)
        #expect(bound.text == "http://127.0.0.1:5123/callback/")
        #expect(loopback.admits(bound))
        #expect(!loopback.admits(try RedirectURI.parse("http://127.0.0.1:5123/other/").get()))
        #expect(!loopback.admits(try RedirectURI.parse("http://localhost:5123/callback/").get()))
        let fixed = try RedirectURI.parse("https://sync.example.com/oauth/instagram/callback").get()
        #expect(fixed.admits(fixed) && !fixed.admits(bound))
        for refused in ["http://sync.example.com/cb", "https://sync.example.com:0/cb", "https://x.test/cb?a=1", "ftp://x/cb"] {
            if case .success = RedirectURI.parse(refused) { Issue.record("\(refused) was accepted") }
        }
    }

    // MARK: Configuration

    /// Should read the connect keys, keep an authorize URL's trailing slash, and name the key of
    /// a bad value.
    @Test func configurationKeys() throws {
        let c = try ConfigurationLoader.load(
            yaml: """
                instagram:
                  app_id: "990000000000001"
                  redirect_uri: https://sync.example.com/oauth/instagram/callback
                  scopes: [instagram_business_basic, instagram_business_manage_insights]
                tiktok:
                  scopes: "user.info.basic,video.list"
                  authorize_url: https://www.tiktok.com/v2/auth/authorize/
                """)
        #expect(c.instagram.connect.appID == "990000000000001")
        #expect(c.instagram.connect.redirectURI?.text == "https://sync.example.com/oauth/instagram/callback")
        #expect(c.instagram.connect.scopes == ["instagram_business_basic", "instagram_business_manage_insights"])
        #expect(c.tiktok.connect.scopes == ["user.info.basic", "video.list"])
        #expect(c.tiktok.connect.authorizeURL == "https://www.tiktok.com/v2/auth/authorize/")
        #expect(c.tiktok.connect.redirectURI?.text == "http://127.0.0.1:0/callback/", "the default")
        #expect(Configuration().instagram.connect.redirectURI == nil)
        for (yaml, key) in [
            ("instagram: {redirect_uri: 'http://sync.example.com/cb'}", "instagram.redirect_uri"),
            ("tiktok: {scopes: []}", "tiktok.scopes"),
            ("tiktok: {scopes: ['a b']}", "tiktok.scopes"),
            ("instagram: {authorize_url: not-a-url}", "instagram.authorize_url"),
            ("tiktok: {redirect_uri: 'http://127.0.0.1:0/cb?x=1'}", "tiktok.redirect_uri"),
        ] {
            do {
                _ = try ConfigurationLoader.load(yaml: yaml)
                Issue.record("\(yaml) was accepted")
            } catch {
                #expect(error.key == key, "\(yaml): \(error)")
            }
        }
    }

    /// Should build TikTok's authorize URL with every parameter TikTok asks for.
    @Test func tiktokAuthorizeURL() throws {
        var c = Configuration()
        c.tiktok.clientKey = "ck"
        let redirect = try RedirectURI.parse("http://127.0.0.1:5123/callback/").get()
        let url = try ConnectService.authorizeURL(
            .tiktok, login: nil, redirect: redirect, state: "st", verifier: "v" + String(repeating: "x", count: 50), c)
        #expect(url.hasPrefix("https://www.tiktok.com/v2/auth/authorize/?"))
        let items = Dictionary(
            uniqueKeysWithValues: (URLComponents(string: url)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items["client_key"] == "ck" && items["response_type"] == "code" && items["state"] == "st")
        #expect(items["scope"] == "user.info.basic,video.list")
        #expect(items["redirect_uri"] == "http://127.0.0.1:5123/callback/")
        #expect(items["code_challenge"] == PKCE.challenge(for: "v" + String(repeating: "x", count: 50)))
        #expect(items["code_challenge_method"] == "S256")
    }

    /// Should escape platform texts in the browser's page.
    @Test func pageEscapes() {
        #expect(ConnectPage.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        let page = ConnectPage.failed(.oauthError(.tiktok, "invalid_grant", "Authorization code is expired."))
        #expect(page.contains("tiktok: invalid_grant: Authorization code is expired."))
    }
}
