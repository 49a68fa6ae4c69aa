import Foundation
import Testing

@testable import PostSync

/// The pure building blocks of `postsync connect` (CONTRACT section 11), with a fixed `now` and
/// no sockets: TikTok's PKCE (a lowercase hex challenge, checked against `sha256sum` rather than
/// against the code under test), random states, the registry's expiry, single-use state,
/// outcomes, pruning and capacity, reading a redirect (Meta's `#_`), redirect URIs, the connect
/// keys of the config file, the platforms' authorize URLs and the escaping of the browser's page.
@Suite struct ConnectUnitTests {
    /// A fixed clock reading.
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    /// The code verifier of RFC 7636 appendix B.
    static let rfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    /// `printf %s 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' | sha256sum`.
    static let rfcHexChallenge = "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3"
    /// RFC 7636's own (base64url) S256 challenge for the same verifier, which TikTok refuses.
    static let rfcBase64URLChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    /// The characters RFC 7636 section 4.1 allows in a verifier, spelled out independently.
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    /// The base64url alphabet (RFC 4648 section 5).
    static let base64URL = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    // MARK: Helpers

    /// A pending TikTok attempt created at `createdAt` (default `now`) that lives the usual 10 minutes.
    static func attempt(_ id: String, state: String, createdAt: Date? = nil) throws -> ConnectAttempt {
        let created = createdAt ?? now
        return ConnectAttempt(
            id: id, platform: .tiktok, login: nil,
            redirectURI: try Self.uri("http://127.0.0.1:5123/callback/"),
            authorizeURL: "https://www.tiktok.com/v2/auth/authorize/?state=\(state)", createdAt: created,
            expiresAt: created.addingTimeInterval(ConnectRegistry.lifetime), state: state, verifier: rfcVerifier)
    }

    /// The `ControlError` that `body` throws; nil when it throws nothing (and an issue when it
    /// throws something else).
    static func failure(_ body: () throws -> Void) -> ControlError? {
        do {
            try body()
        } catch let error as ControlError {
            return error
        } catch {
            Issue.record("not a ControlError: \(error)")
        }
        return nil
    }

    /// The code of the `ControlError` that `body` throws; nil when it throws nothing.
    static func code(_ body: () throws -> Void) -> String? {
        failure(body)?.code
    }

    /// A redirect URI that must parse.
    static func uri(_ text: String) throws -> RedirectURI {
        try RedirectURI.parse(text).get()
    }

    /// Why `RedirectURI.parse` refuses `text`; nil when it accepts it.
    static func refusal(_ text: String) -> RedirectURIError? {
        if case .failure(let error) = RedirectURI.parse(text) { return error }
        return nil
    }

    /// The error that loading `yaml` throws; records an issue when it loads fine.
    static func loadError(_ yaml: String) throws -> ConfigurationError {
        try #require(throws: ConfigurationError.self) {
            _ = try ConfigurationLoader.load(yaml: yaml)
        }
    }

    /// The query items of `url` by name, each name present once.
    static func query(_ url: String) throws -> [String: String] {
        let items = try #require(URLComponents(string: url)?.queryItems, "\(url)")
        var query: [String: String] = [:]
        for item in items {
            #expect(query[item.name] == nil, "\(item.name) appears once in \(url)")
            query[item.name] = item.value ?? ""
        }
        return query
    }

    /// `url` up to its `?`.
    static func base(_ url: String) -> String {
        String(url.prefix { $0 != "?" })
    }

    // MARK: PKCE

    /// Should give the lowercase hex SHA-256 of RFC 7636's appendix B verifier (as `sha256sum`
    /// prints it), not RFC 7636's base64url.
    @Test("PKCE challenge is lowercase hex SHA-256") func challengeIsLowercaseHex() {
        let challenge = PKCE.challenge(for: Self.rfcVerifier)
        #expect(challenge == Self.rfcHexChallenge)
        #expect(challenge != Self.rfcBase64URLChallenge)
        #expect(challenge.count == 64)
        #expect(challenge.allSatisfy { "0123456789abcdef".contains($0) })
        // `printf '' | sha256sum`
        #expect(PKCE.challenge(for: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// Should draw 64 unreserved characters by default, differently on each draw, the same for
    /// the same seed, and honour the length.
    @Test("PKCE verifier: 64 unreserved characters, fresh each draw") func verifierDraws() {
        var random = SplitMix64(seed: 0x5EED)
        let first = PKCE.verifier(using: &random)
        let second = PKCE.verifier(using: &random)
        #expect(first.count == 64)
        #expect(second.count == 64)
        #expect(first != second)
        #expect(first.allSatisfy { Self.unreserved.contains($0) }, "\(first)")
        #expect(second.allSatisfy { Self.unreserved.contains($0) }, "\(second)")
        var replay = SplitMix64(seed: 0x5EED)
        let replayed = PKCE.verifier(using: &replay)
        #expect(replayed == first)
        var other = SplitMix64(seed: 1)
        let shortest = PKCE.verifier(length: 43, using: &other)
        let longest = PKCE.verifier(length: 128, using: &other)
        #expect(shortest.count == 43)
        #expect(longest.count == 128)
        #expect(longest.allSatisfy { Self.unreserved.contains($0) }, "\(longest)")
    }

    /// Should make 43 base64url characters of 32 random bytes, without `+`, `/` or padding.
    @Test("Connect tokens are unpadded base64url") func tokensAreBase64URL() throws {
        var random = SplitMix64(seed: 99)
        let token = ConnectRandom.token(using: &random)
        let another = ConnectRandom.token(using: &random)
        #expect(token.count == 43)
        #expect(token != another)
        #expect(token.allSatisfy { Self.base64URL.contains($0) }, "\(token)")
        #expect(token.allSatisfy { !"+/=".contains($0) }, "\(token)")
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let bytes = try #require(Data(base64Encoded: base64))
        #expect(bytes.count == 32)
        let short = ConnectRandom.token(bytes: 12, using: &random)
        #expect(short.count == 16)
    }

    // MARK: Registry

    /// Should keep attempts 10 minutes, show them 10 more, and hold at most 1 000.
    @Test("Registry limits are the documented ones") func registryLimits() {
        #expect(ConnectRegistry.lifetime == 600)
        #expect(ConnectRegistry.retention == 600)
        #expect(ConnectRegistry.capacity == 1_000)
    }

    /// Should answer 404 `unknown_connect` for an id it never saw.
    @Test("Unknown attempt is unknown_connect") func unknownAttempt() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "state-a"), now: Self.now)
        let error = Self.failure { _ = try registry.attempt("zzz", now: Self.now) }
        #expect(error?.code == "unknown_connect")
        #expect(error?.status == 404)
        #expect(error?.message == "no connect attempt zzz")
        #expect(Self.code { _ = try registry.claim(id: "zzz", state: "state-a", now: Self.now) } == "unknown_connect")
        #expect(try registry.attempt("a", now: Self.now).id == "a")
    }

    /// Should answer 410 `connect_expired` from the moment a pending attempt expires, by id and
    /// by state, and not a second earlier.
    @Test("Pending attempt expires after its lifetime") func pendingAttemptExpires() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "state-a"), now: Self.now)
        let expiry = Self.now.addingTimeInterval(ConnectRegistry.lifetime)
        let before = try registry.attempt("a", now: expiry.addingTimeInterval(-1))
        #expect(before.status == .pending)
        #expect(before.expiresAt == expiry)
        let expired = Self.failure { _ = try registry.attempt("a", now: expiry) }
        #expect(expired?.code == "connect_expired")
        #expect(expired?.status == 410)
        #expect(Self.code { _ = try registry.claim(id: "a", state: "state-a", now: expiry) } == "connect_expired")
        #expect(Self.code { _ = try registry.claim(id: nil, state: "state-a", now: expiry) } == "connect_expired")
        let later = expiry.addingTimeInterval(60)
        #expect(Self.code { _ = try registry.claim(id: "a", state: "state-a", now: later) } == "connect_expired")
    }

    /// Should let the right state claim an attempt once; a second claim is `state_mismatch`.
    @Test("State is single use") func stateIsSingleUse() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "state-a"), now: Self.now)
        let claimed = try registry.claim(id: "a", state: "state-a", now: Self.now)
        #expect(claimed.id == "a")
        #expect(claimed.verifier == Self.rfcVerifier)
        #expect(claimed.redirectURI.text == "http://127.0.0.1:5123/callback/")
        #expect(try registry.attempt("a", now: Self.now).claimed)
        let again = Self.failure { _ = try registry.claim(id: "a", state: "state-a", now: Self.now) }
        #expect(again?.code == "state_mismatch")
        #expect(again?.status == 400)
        #expect(Self.code { _ = try registry.claim(id: nil, state: "state-a", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: "a", state: nil, now: Self.now) } == "state_mismatch")
    }

    /// Should refuse another attempt's state without using up the attempt.
    @Test("Wrong state does not consume the attempt") func wrongStateDoesNotConsume() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "state-a"), now: Self.now)
        registry.insert(try Self.attempt("b", state: "state-b"), now: Self.now)
        #expect(Self.code { _ = try registry.claim(id: "a", state: "state-b", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: "a", state: "", now: Self.now) } == "state_mismatch")
        #expect(try registry.attempt("a", now: Self.now).claimed == false)
        #expect(try registry.attempt("b", now: Self.now).claimed == false)
        let a = try registry.claim(id: "a", state: "state-a", now: Self.now)
        let b = try registry.claim(id: "b", state: "state-b", now: Self.now)
        #expect(a.id == "a")
        #expect(b.id == "b")
    }

    /// Should find an attempt by its state alone (the listener's callback), and refuse an
    /// unknown or missing state.
    @Test("Claim by state alone") func claimByState() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "state-a"), now: Self.now)
        registry.insert(try Self.attempt("b", state: "state-b"), now: Self.now)
        let found = try registry.claim(id: nil, state: "state-b", now: Self.now)
        #expect(found.id == "b")
        #expect(found.platform == .tiktok)
        #expect(try registry.attempt("b", now: Self.now).claimed)
        #expect(try registry.attempt("a", now: Self.now).claimed == false)
        #expect(Self.code { _ = try registry.claim(id: nil, state: "state-b", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: nil, state: "nobody's", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: nil, state: nil, now: Self.now) } == "state_mismatch")
    }

    /// Should let the control API claim by id without a state (it has only the code).
    @Test("Claim by id without a state") func claimByIDWithoutState() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("a", state: "state-a"), now: Self.now)
        let claimed = try registry.claim(id: "a", state: nil, now: Self.now)
        #expect(claimed.id == "a")
        #expect(Self.code { _ = try registry.claim(id: "a", state: "state-a", now: Self.now) } == "state_mismatch")
    }

    /// Should show a success as `connected` with the accounts, a failure as `failed` with its
    /// error, both also after the attempt's expiry, and refuse to claim either again.
    @Test("Outcomes are recorded") func outcomes() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("ok", state: "s-ok"), now: Self.now)
        registry.insert(try Self.attempt("no", state: "s-no"), now: Self.now)
        let accounts = [
            AccountID(platform: .tiktok, externalID: "open-1"), AccountID(platform: .tiktok, externalID: "open-2"),
        ]
        _ = try registry.claim(id: "ok", state: "s-ok", now: Self.now)
        registry.finish("ok", .success(accounts))
        _ = try registry.claim(id: nil, state: "s-no", now: Self.now)
        registry.finish("no", .failure(.oauthError(.tiktok, "access_denied", "The user denied.")))

        for time in [Self.now, Self.now.addingTimeInterval(ConnectRegistry.lifetime + 1)] {
            let connected = try registry.attempt("ok", now: time)
            #expect(connected.status == .connected)
            #expect(connected.accounts == accounts)
            #expect(connected.error == nil)
            let failed = try registry.attempt("no", now: time)
            #expect(failed.status == .failed)
            #expect(failed.accounts.isEmpty)
            #expect(failed.error?.code == "oauth_error")
            #expect(failed.error?.message == "tiktok: access_denied: The user denied.")
        }
        #expect(Self.code { _ = try registry.claim(id: "ok", state: "s-ok", now: Self.now) } == "state_mismatch")
        #expect(Self.code { _ = try registry.claim(id: nil, state: "s-no", now: Self.now) } == "state_mismatch")
    }

    /// Should forget an attempt `retention` after its expiry, whether it finished or not, on
    /// `prune` and on the next `insert`.
    @Test("Prune forgets attempts retention after expiry") func pruneForgets() throws {
        var registry = ConnectRegistry()
        registry.insert(try Self.attempt("pending", state: "s1"), now: Self.now)
        registry.insert(try Self.attempt("done", state: "s2"), now: Self.now)
        _ = try registry.claim(id: "done", state: "s2", now: Self.now)
        registry.finish("done", .success([AccountID(platform: .tiktok, externalID: "open-1")]))
        let forgotten = Self.now.addingTimeInterval(ConnectRegistry.lifetime + ConnectRegistry.retention)
        let justBefore = forgotten.addingTimeInterval(-1)

        registry.prune(now: justBefore)
        #expect(Self.code { _ = try registry.attempt("pending", now: justBefore) } == "connect_expired")
        #expect(try registry.attempt("done", now: justBefore).status == .connected)

        registry.prune(now: forgotten)
        #expect(Self.code { _ = try registry.attempt("pending", now: forgotten) } == "unknown_connect")
        #expect(Self.code { _ = try registry.attempt("done", now: forgotten) } == "unknown_connect")

        var inserting = ConnectRegistry()
        inserting.insert(try Self.attempt("old", state: "s-old"), now: Self.now)
        inserting.insert(try Self.attempt("new", state: "s-new", createdAt: forgotten), now: forgotten)
        #expect(Self.code { _ = try inserting.attempt("old", now: forgotten) } == "unknown_connect")
        #expect(try inserting.attempt("new", now: forgotten).status == .pending)
    }

    /// Should drop the oldest attempt when `capacity + 1` are inserted.
    @Test("Capacity drops the oldest attempt") func capacityDropsTheOldest() throws {
        var registry = ConnectRegistry()
        for index in 0...ConnectRegistry.capacity {
            let time = Self.now.addingTimeInterval(Double(index) * 0.001)
            registry.insert(try Self.attempt("a\(index)", state: "s\(index)", createdAt: time), now: time)
        }
        #expect(Self.code { _ = try registry.attempt("a0", now: Self.now) } == "unknown_connect")
        #expect(try registry.attempt("a1", now: Self.now).id == "a1")
        let last = "a\(ConnectRegistry.capacity)"
        #expect(try registry.attempt(last, now: Self.now).id == last)
    }

    /// Should pick the oldest by creation time, not by insertion order.
    @Test("Capacity drops by creation time") func capacityDropsByCreationTime() throws {
        var registry = ConnectRegistry()
        let middle = ConnectRegistry.capacity / 2
        for index in 0...ConnectRegistry.capacity {
            let time = Self.now.addingTimeInterval(index == middle ? -60 : Double(index) * 0.001)
            registry.insert(try Self.attempt("a\(index)", state: "s\(index)", createdAt: time), now: Self.now)
        }
        #expect(Self.code { _ = try registry.attempt("a\(middle)", now: Self.now) } == "unknown_connect")
        #expect(try registry.attempt("a0", now: Self.now).id == "a0")
        let last = "a\(ConnectRegistry.capacity)"
        #expect(try registry.attempt(last, now: Self.now).id == last)
    }

    // MARK: Redirects

    /// Should read the code and state of a pasted URL, without Meta's `#_` fragment.
    @Test("Redirect URL with a code") func redirectWithCode() throws {
        let pasted = try OAuthRedirect.parse(
            url: "https://sync.example.com/oauth/instagram/callback?code=AQBx-y_z&state=abc#_")
        #expect(pasted == .code("AQBx-y_z", state: "abc"))
        let padded = try OAuthRedirect.parse(url: "  http://127.0.0.1:5123/callback/?state=s1&code=c1&scopes=x\n")
        #expect(padded == .code("c1", state: "s1"))
        #expect(try OAuthRedirect.parse(url: "https://sync.example.com/cb?code=c2") == .code("c2", state: nil))
        #expect(try OAuthRedirect.parse(url: "https://sync.example.com/cb?code=c3&state=") == .code("c3", state: nil))
        #expect(try OAuthRedirect.parse(query: ["code": "abc#_", "state": "s"]) == .code("abc", state: "s"))
    }

    /// Should read an error redirect: `error`, then `error_description` (as URLComponents
    /// decodes it: percent escapes, but a `+` stays a `+`), else `error_reason`.
    @Test("Redirect URL with an error") func redirectWithError() throws {
        let refused = try OAuthRedirect.parse(
            url: "https://sync.example.com/oauth/instagram/callback?error=access_denied&error_reason=user_denied"
                + "&error_description=Permissions+error&state=s")
        #expect(refused == .refused(error: "access_denied", description: "Permissions+error", state: "s"))
        let percent = try OAuthRedirect.parse(
            url: "https://sync.example.com/cb?error=access_denied&error_description=Permissions%20error&state=s")
        #expect(percent == .refused(error: "access_denied", description: "Permissions error", state: "s"))
        let reasonOnly = try OAuthRedirect.parse(
            url: "https://sync.example.com/cb?error=access_denied&error_reason=user_denied")
        #expect(reasonOnly == .refused(error: "access_denied", description: "user_denied", state: nil))
        let both = try OAuthRedirect.parse(url: "https://sync.example.com/cb?code=c&error=server_error&state=s")
        #expect(both == .refused(error: "server_error", description: nil, state: "s"))
    }

    /// Should answer `invalid_request` for a redirect with neither a code nor an error, and for
    /// text that is not a URL.
    @Test("Redirect URL without code or error is invalid") func redirectInvalid() {
        let neither = Self.failure { _ = try OAuthRedirect.parse(url: "https://sync.example.com/cb?state=s") }
        #expect(neither?.code == "invalid_request")
        #expect(neither?.status == 400)
        #expect(neither?.message == "redirectUrl: the redirect has neither a code nor an error")
        let empty = "https://sync.example.com/cb?code=&error="
        #expect(Self.code { _ = try OAuthRedirect.parse(url: empty) } == "invalid_request")
        #expect(Self.code { _ = try OAuthRedirect.parse(url: "https://sync.example.com/cb") } == "invalid_request")
        for text in ["not a url", "", "sync.example.com/cb?code=x"] {
            let error = Self.failure { _ = try OAuthRedirect.parse(url: text) }
            #expect(error?.code == "invalid_request", "\(text)")
            #expect(error?.message.hasPrefix("redirectUrl: not a URL") == true, "\(text): \(error?.message ?? "")")
        }
        #expect(Self.code { _ = try OAuthRedirect.parse(query: ["state": "s"]) } == "invalid_request")
    }

    /// Should remove Meta's `#_` and surrounding white space from a code, and leave a plain code alone.
    @Test("Meta's #_ suffix is stripped") func stripsMetaSuffix() {
        #expect(OAuthRedirect.stripMetaSuffix("abc#_") == "abc")
        #expect(OAuthRedirect.stripMetaSuffix(" AQBx-y_z#_\n") == "AQBx-y_z")
        #expect(OAuthRedirect.stripMetaSuffix("abc") == "abc")
        #expect(OAuthRedirect.stripMetaSuffix("") == "")
    }

    // MARK: Redirect URIs

    /// Should accept an https URI anywhere, keeping the text as written.
    @Test("HTTPS redirect URI") func httpsRedirectURI() throws {
        let uri = try Self.uri("https://Sync.Example.com/oauth/instagram/callback")
        #expect(uri.text == "https://Sync.Example.com/oauth/instagram/callback")
        #expect(uri.description == uri.text)
        #expect(uri.scheme == "https")
        #expect(uri.host == "sync.example.com")
        #expect(uri.port == nil)
        #expect(uri.path == "/oauth/instagram/callback")
        #expect(!uri.isLoopback)
        #expect(!uri.needsPort)
        #expect(try Self.uri("https://sync.example.com").path == "/")
        #expect(try Self.uri("https://sync.example.com:8443/cb").port == 8443)
    }

    /// Should take http and port 0 on loopback, and put a real port in.
    @Test("Loopback redirect URI with port 0") func loopbackRedirectURI() throws {
        let loopback = try Self.uri("http://127.0.0.1:0/callback/")
        #expect(loopback.needsPort == true)
        #expect(loopback.isLoopback == true)
        #expect(loopback.port == 0)
        #expect(loopback.path == "/callback/")
        let bound = loopback.withPort(5123)
        #expect(bound.text == "http://127.0.0.1:5123/callback/")
        #expect(bound.port == 5123)
        #expect(!bound.needsPort)
        #expect(bound.isLoopback)
        #expect(try Self.uri("http://localhost:0/cb").withPort(40_001).text == "http://localhost:40001/cb")
    }

    /// Should let a port-0 URI admit itself on any real port, and nothing else.
    @Test("Port-0 URI admits the same URI on a real port") func portZeroAdmits() throws {
        let loopback = try Self.uri("http://127.0.0.1:0/callback/")
        #expect(loopback.admits(loopback.withPort(5123)))
        let parsed = try Self.uri("http://127.0.0.1:5123/callback/")
        #expect(loopback.admits(parsed))
        for other in [
            "http://127.0.0.1:5123/other/", "http://127.0.0.1:5123/callback", "http://localhost:5123/callback/",
            "http://127.0.0.1:0/callback/", "http://127.0.0.1/callback/", "https://127.0.0.1:5123/callback/",
        ] {
            let uri = try Self.uri(other)
            #expect(!loopback.admits(uri), "\(other)")
        }
    }

    /// Should let a fixed URI admit only its exact text.
    @Test("Fixed URI admits only its exact text") func fixedAdmits() throws {
        let fixed = try Self.uri("https://sync.example.com/oauth/instagram/callback")
        let same = try Self.uri("https://sync.example.com/oauth/instagram/callback")
        #expect(fixed.admits(same))
        for other in [
            "https://sync.example.com/oauth/instagram/callback/",
            "https://sync.example.com:443/oauth/instagram/callback",
            "https://sync.example.com/oauth/tiktok/callback", "http://127.0.0.1:5123/callback/",
        ] {
            let uri = try Self.uri(other)
            #expect(!fixed.admits(uri), "\(other)")
        }
        let fixedLoopback = try Self.uri("http://127.0.0.1:5123/callback/")
        #expect(fixedLoopback.admits(fixedLoopback))
        let otherPort = try Self.uri("http://127.0.0.1:5124/callback/")
        #expect(!fixedLoopback.admits(otherPort))
    }

    /// Should refuse http off loopback, port 0 off loopback, a query, a fragment, and what is
    /// not an http(s) URL with a host.
    @Test("Refused redirect URIs") func refusedRedirectURIs() {
        #expect(Self.refusal("http://sync.example.com/cb")?.description.contains("must be https://") == true)
        #expect(Self.refusal("https://example.com:0/cb")?.description.contains("port 0") == true)
        for text in ["https://sync.example.com/cb?x=1", "https://sync.example.com/cb#f", "http://127.0.0.1:0/cb?x=1"] {
            #expect(
                Self.refusal(text)?.description.contains("must not have a query or a fragment") == true, "\(text)")
        }
        for text in ["ftp://sync.example.com/cb", "not a url", "/callback/", ""] {
            #expect(
                Self.refusal(text)?.description.contains("is not an http:// or https:// URL with a host") == true,
                "\(text)")
        }
    }

    // MARK: Configuration

    /// Should load the connect keys with the values written, an authorize URL with its trailing
    /// slash.
    @Test("Connect keys load") func connectKeysLoad() throws {
        let c = try ConfigurationLoader.load(
            yaml: """
                instagram:
                  app_id: "990000000000001"
                  redirect_uri: https://sync.example.com/oauth/instagram/callback
                  scopes: [instagram_business_basic, instagram_business_manage_insights]
                tiktok:
                  redirect_uri: "http://127.0.0.1:0/callback/"
                  scopes: "user.info.basic,video.list"
                  authorize_url: "https://www.tiktok.com/v2/auth/authorize/"
                """)
        let instagram = c.instagram.connect
        #expect(instagram.appID == "990000000000001")
        let expected = try Self.uri("https://sync.example.com/oauth/instagram/callback")
        #expect(instagram.redirectURI == expected)
        #expect(instagram.redirectURI?.text == "https://sync.example.com/oauth/instagram/callback")
        #expect(instagram.scopes == ["instagram_business_basic", "instagram_business_manage_insights"])
        let tiktok = c.tiktok.connect
        #expect(tiktok.redirectURI?.text == "http://127.0.0.1:0/callback/")
        #expect(tiktok.redirectURI?.needsPort == true)
        #expect(tiktok.scopes == ["user.info.basic", "video.list"])
        #expect(tiktok.authorizeURL == "https://www.tiktok.com/v2/auth/authorize/")
    }

    /// Should overwrite every default with what the file sets.
    @Test("Connect keys overwrite the defaults") func connectKeysOverwrite() throws {
        let c = try ConfigurationLoader.load(
            yaml: """
                instagram:
                  scopes: "instagram_business_basic, instagram_business_content_publish"
                  authorize_url: https://auth.example.test/oauth/authorize/
                  token_url: https://auth.example.test/oauth/access_token
                  facebook_authorize_url: https://www.facebook.com/v24.0/dialog/oauth
                tiktok:
                  redirect_uri: https://sync.example.com/oauth/tiktok/callback
                  scopes: [user.info.basic, user.info.profile, video.list]
                  authorize_url: https://auth.example.test/tiktok/authorize?tenant=t1
                """)
        #expect(
            c.instagram.connect
                == Configuration.InstagramConnect(
                    appID: nil, redirectURI: nil,
                    scopes: ["instagram_business_basic", "instagram_business_content_publish"],
                    authorizeURL: "https://auth.example.test/oauth/authorize/",
                    tokenURL: "https://auth.example.test/oauth/access_token",
                    facebookAuthorizeURL: "https://www.facebook.com/v24.0/dialog/oauth"))
        #expect(c.tiktok.connect.redirectURI?.text == "https://sync.example.com/oauth/tiktok/callback")
        #expect(c.tiktok.connect.redirectURI?.isLoopback == false)
        #expect(c.tiktok.connect.scopes == ["user.info.basic", "user.info.profile", "video.list"])
        #expect(c.tiktok.connect.authorizeURL == "https://auth.example.test/tiktok/authorize?tenant=t1")
    }

    /// Should give the documented defaults when the keys are absent.
    @Test("Connect keys default") func connectKeysDefault() throws {
        let c = try ConfigurationLoader.load(yaml: "instagram:\n  api_version: v23.0\ntiktok:\n  client_key: ck\n")
        #expect(c.instagram.connect == Configuration.InstagramConnect())
        #expect(c.instagram.connect.appID == nil)
        #expect(c.instagram.connect.redirectURI == nil)
        #expect(c.instagram.connect.scopes == ["instagram_business_basic", "instagram_business_manage_insights"])
        #expect(c.instagram.connect.authorizeURL == "https://www.instagram.com/oauth/authorize")
        #expect(c.instagram.connect.tokenURL == "https://api.instagram.com/oauth/access_token")
        #expect(c.instagram.connect.facebookAuthorizeURL == "https://www.facebook.com/v23.0/dialog/oauth")
        #expect(c.tiktok.connect == Configuration.TikTokConnect())
        #expect(c.tiktok.connect.redirectURI?.text == "http://127.0.0.1:0/callback/")
        #expect(c.tiktok.connect.scopes == ["user.info.basic", "video.list"])
        #expect(c.tiktok.connect.authorizeURL == "https://www.tiktok.com/v2/auth/authorize/")
        #expect(try ConfigurationLoader.load(yaml: "").tiktok.connect == Configuration.TikTokConnect())
    }

    /// Should name the key of a bad connect value.
    @Test(
        "Bad connect values name their key",
        arguments: [
            ("instagram:\n  redirect_uri: http://sync.example.com/cb\n", "instagram.redirect_uri"),
            ("tiktok:\n  scopes: []\n", "tiktok.scopes"),
            ("instagram:\n  authorize_url: not-a-url\n", "instagram.authorize_url"),
            ("tiktok:\n  redirect_uri: \"http://127.0.0.1:0/cb?x=1\"\n", "tiktok.redirect_uri"),
            ("instagram:\n  redirect_uri: \"https://sync.example.com:0/cb\"\n", "instagram.redirect_uri"),
            ("tiktok:\n  scopes: \"user.info.basic, ,video.list\"\n", "tiktok.scopes"),
            ("tiktok:\n  scopes: [\"user.info basic\"]\n", "tiktok.scopes"),
            ("instagram:\n  scopes: [[a]]\n", "instagram.scopes"),
            ("tiktok:\n  authorize_url: \"https://www.tiktok.com/v2/auth/authorize/#x\"\n", "tiktok.authorize_url"),
            (
                "instagram:\n  facebook_authorize_url: ftp://www.facebook.com/dialog\n",
                "instagram.facebook_authorize_url"
            ),
            ("instagram:\n  token_url: /oauth/access_token\n", "instagram.token_url"),
            ("tiktok:\n  redirct_uri: http://127.0.0.1:0/callback/\n", "tiktok.redirct_uri"),
        ])
    func badConnectValues(yaml: String, key: String) throws {
        let error = try Self.loadError(yaml)
        #expect(error.key == key, "\(error)")
    }

    /// Should say why a redirect URI was refused.
    @Test("Redirect URI error message") func redirectURIErrorMessage() throws {
        let error = try Self.loadError("instagram:\n  redirect_uri: http://sync.example.com/cb\n")
        #expect(
            error.description
                == "config: instagram.redirect_uri: \"http://sync.example.com/cb\" must be https:// "
                + "(only 127.0.0.1 and localhost may use http://)")
    }

    // MARK: Authorize URLs

    /// Should build TikTok's authorize URL with every parameter it asks for, the PKCE challenge
    /// in lowercase hex.
    @Test("TikTok authorize URL") func tiktokAuthorizeURL() throws {
        var c = Configuration()
        c.tiktok.clientKey = "ck"
        let redirect = try Self.uri("http://127.0.0.1:5123/callback/")
        let url = try ConnectService.authorizeURL(
            .tiktok, login: nil, redirect: redirect, state: "st", verifier: Self.rfcVerifier, c)
        #expect(Self.base(url) == "https://www.tiktok.com/v2/auth/authorize/")
        let query = try Self.query(url)
        #expect(
            query == [
                "client_key": "ck", "scope": "user.info.basic,video.list", "response_type": "code",
                "redirect_uri": "http://127.0.0.1:5123/callback/", "state": "st",
                "code_challenge": Self.rfcHexChallenge, "code_challenge_method": "S256",
            ])
        let challenge = try #require(query["code_challenge"])
        #expect(challenge == PKCE.challenge(for: Self.rfcVerifier))
        #expect(challenge.count == 64)
        #expect(challenge.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A5123%2Fcallback%2F"), "\(url)")
    }

    /// Should append to an authorize URL that already has a query.
    @Test("Authorize URL with a query of its own") func authorizeURLWithQuery() throws {
        var c = Configuration()
        c.tiktok.clientKey = "ck"
        c.tiktok.connect.authorizeURL = "https://auth.example.test/authorize?tenant=t1"
        let redirect = try Self.uri("http://127.0.0.1:5123/callback/")
        let url = try ConnectService.authorizeURL(
            .tiktok, login: nil, redirect: redirect, state: "st", verifier: Self.rfcVerifier, c)
        #expect(url.hasPrefix("https://auth.example.test/authorize?tenant=t1&client_key=ck&"), "\(url)")
        let query = try Self.query(url)
        #expect(query["tenant"] == "t1")
        #expect(query["state"] == "st")
    }

    /// Should build Instagram Login's authorize URL (the default login), without PKCE.
    @Test("Instagram Login authorize URL") func instagramAuthorizeURL() throws {
        var c = Configuration()
        c.instagram.connect.appID = "990000000000001"
        let redirect = try Self.uri("https://sync.example.com/oauth/instagram/callback")
        let logins: [InstagramLogin?] = [nil, .instagram]
        for login in logins {
            let url = try ConnectService.authorizeURL(
                .instagram, login: login, redirect: redirect, state: "st", verifier: nil, c)
            #expect(Self.base(url) == "https://www.instagram.com/oauth/authorize", "\(String(describing: login))")
            let query = try Self.query(url)
            #expect(
                query == [
                    "client_id": "990000000000001", "redirect_uri": "https://sync.example.com/oauth/instagram/callback",
                    "response_type": "code", "scope": "instagram_business_basic,instagram_business_manage_insights",
                    "state": "st",
                ], "\(String(describing: login))")
            #expect(query["code_challenge"] == nil)
            #expect(query["code_challenge_method"] == nil)
        }
    }

    /// Should build Facebook Login's authorize URL with Facebook's own permission names.
    @Test("Facebook Login authorize URL") func facebookAuthorizeURL() throws {
        var c = Configuration()
        c.instagram.connect.appID = "990000000000001"
        let redirect = try Self.uri("https://sync.example.com/oauth/instagram/callback")
        let url = try ConnectService.authorizeURL(
            .instagram, login: .facebook, redirect: redirect, state: "st", verifier: nil, c)
        #expect(Self.base(url) == "https://www.facebook.com/v23.0/dialog/oauth")
        #expect(Self.base(url) == Configuration.InstagramConnect().facebookAuthorizeURL)
        let query = try Self.query(url)
        #expect(
            query == [
                "client_id": "990000000000001", "redirect_uri": "https://sync.example.com/oauth/instagram/callback",
                "response_type": "code", "state": "st",
                "scope": "instagram_basic,instagram_manage_insights,pages_show_list,pages_read_engagement,"
                    + "business_management",
            ])
        #expect(query["scope"] == Configuration.InstagramConnect.facebookScopes.joined(separator: ","))
    }

    // MARK: Page

    /// Should escape the five HTML-significant characters and leave the rest alone.
    @Test("Page escapes HTML") func pageEscapes() {
        #expect(ConnectPage.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(ConnectPage.escape("plain caf\u{e9}") == "plain caf\u{e9}")
        #expect(ConnectPage.escape("&amp;") == "&amp;amp;")
    }

    /// Should show the platform's error on the failure page, escaped.
    @Test("Failure page shows the error") func failurePage() {
        let error = ControlError.oauthError(.tiktok, "invalid_grant", "Authorization code is expired.")
        let page = ConnectPage.failed(error)
        #expect(page.contains("tiktok: invalid_grant: Authorization code is expired."))
        #expect(page.contains("<p>Not connected: tiktok: invalid_grant: Authorization code is expired.</p>"))
        #expect(page.contains("<title>postsync: Not connected</title>"))
        let hostile = ConnectPage.failed(.oauthError(.instagram, "access_denied", "<script>alert('x')</script>"))
        #expect(hostile.contains("instagram: access_denied: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(!hostile.contains("<script>"))
    }
}
