import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostSyncSimulator
import PostSyncTestSupport
import ServiceLifecycle
import Testing

@testable import PostSync

/// `postsync connect` end to end (CONTRACT section 11): a real daemon (control socket and HTTP
/// listener) and the simulator's consent screens and code exchanges, over real sockets. A test
/// "browser" (AsyncHTTPClient with redirects off) opens the authorize URL, reads the 302 the
/// simulated user's "allow" causes, and follows it to the daemon's callback or to the CLI's
/// loopback listener, as a browser would (dropping the `#_` fragment).
@Suite(.serialized) struct ConnectTests {
    static let appSecret = "sim-app-secret"

    // MARK: Happy paths

    /// TikTok with a loopback redirect: the authorize URL carries a lowercase hex S256 challenge,
    /// the completion creates the account (auto-sync on, name from user/info) and syncs it at
    /// once; the state is single use.
    @Test func tiktokThroughTheControlAPI() async throws {
        try await Self.withDaemon { fixture in
            let redirect = "http://127.0.0.1:\(try #require(LoopbackPort.free()))/callback/"
            let started = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            #expect(started.redirectUri == redirect)
            let query = try Self.query(started.authorizeUrl)
            let challenge = try #require(query["code_challenge"])
            #expect(challenge.count == 64 && challenge.allSatisfy { "0123456789abcdef".contains($0) }, "\(challenge)")
            #expect(query["code_challenge_method"] == "S256")
            #expect(query["scope"] == "user.info.basic,video.list")
            #expect(query["redirect_uri"] == redirect)

            let location = try await fixture.consent(started.authorizeUrl)
            #expect(location.hasPrefix(redirect + "?code="), "\(location)")
            let completed = try await fixture.complete(started.id, #"{"redirectUrl":"\#(location)"}"#)
            #expect(completed.status == 200, "\(completed.text)")
            let accounts = try completed.decode(ConnectCompleted.self).accounts
            #expect(accounts.count == 1)
            let account = try #require(accounts.first)
            #expect(account.platform == .tiktok && account.autoSync)
            let simulated = try #require(await fixture.world.account(platform: "tiktok", externalId: account.externalId))
            let name = try #require(account.username)
            #expect(!name.isEmpty)
            let storedID = try #require(AccountID(account.id))
            let stored = try #require(try await fixture.daemon.store.account(storedID))
            #expect(stored.accessToken == simulated.accessToken && stored.refreshToken == simulated.refreshToken)
            #expect(!completed.text.contains(simulated.accessToken), "no token in the answer")
            try await eventually("the first sync of the connected account") {
                try await fixture.daemon.supervisor.accountViews().first { $0.id == account.id }?.lastStatus == .success
            }
            let status = try await fixture.control(.GET, "/v1/connect/\(started.id)")
            #expect(try status.decode(ConnectStatus.self).status == .connected)
            let again = try await fixture.complete(started.id, #"{"redirectUrl":"\#(location)"}"#)
            #expect(again.status == 400 && again.code == "state_mismatch", "\(again.text)")
        }
    }

    /// Instagram Login through the daemon's own callback: Meta's `#_` is dropped, the short-lived
    /// token is exchanged at once for the 60-day one (stored with its expiry and issue time), and
    /// the HTML page names the account without echoing the code.
    @Test func instagramLoginThroughTheCallback() async throws {
        try await Self.withDaemon { fixture in
            let started = try await fixture.start(#"{"platform":"instagram"}"#)
            #expect(started.redirectUri == fixture.instagramRedirect)
            let query = try Self.query(started.authorizeUrl)
            #expect(query["client_id"] == "990000000000001" && query["code_challenge"] == nil)
            let location = try await fixture.consent(started.authorizeUrl)
            #expect(location.hasSuffix("#_"), "Meta appends #_: \(location)")
            let code = try #require(try Self.query(location)["code"])
            let page = try await fixture.browse(location)
            #expect(page.status == 200, "\(page.text)")
            #expect(page.text.contains("Connected @") && page.text.contains("You can close this tab."), "\(page.text)")
            #expect(!page.text.contains(code), "the page never echoes the code")
            let status = try await fixture.control(.GET, "/v1/connect/\(started.id)").decode(ConnectStatus.self)
            #expect(status.status == .connected)
            let view = try #require(status.accounts.first)
            #expect(view.login == .instagram && view.username != nil)
            let viewID = try #require(AccountID(view.id))
            let record = try #require(try await fixture.daemon.store.account(viewID))
            let simulated = try #require(await fixture.world.account(platform: "instagram", externalId: view.externalId))
            #expect(record.accessToken == simulated.accessToken, "the long-lived token is stored, not the 1-hour one")
            #expect(record.accessToken.hasPrefix("IGAA") && !record.accessToken.hasPrefix("IGAAshort"))
            let expires = try #require(record.tokenExpiresAt)
            #expect(expires.timeIntervalSinceNow > 59 * 86_400, "expires in 60 days: \(expires)")
            #expect(abs(try #require(record.tokenRefreshedAt).timeIntervalSinceNow) < 120, "issued now")
        }
    }

    /// Facebook Login finds every linked Instagram professional account; connecting accounts that
    /// exist replaces their tokens (Page tokens), clears `needs_reauth` and syncs them again.
    @Test func facebookLoginReauthorizesEveryLinkedAccount() async throws {
        try await Self.withDaemon(instagram: 4, importAccounts: true) { fixture in
            // Seeded accounts 2 and 4 use Facebook Login.
            let facebook = await fixture.world.accounts().filter { $0.login == "facebook" }
            #expect(facebook.count == 2)
            let dead = try #require(AccountID("instagram:\(facebook[0].externalId)"))
            await fixture.world.revokeToken(platform: "instagram", externalId: facebook[0].externalId)
            _ = try await fixture.daemon.supervisor.trigger(dead, .manual, wait: true)
            #expect(try await fixture.daemon.supervisor.state(of: dead) == .needsReauth)

            let started = try await fixture.start(#"{"platform":"instagram","login":"facebook"}"#)
            #expect(try Self.query(started.authorizeUrl)["scope"]?.contains("instagram_manage_insights") == true)
            let ids = facebook.map(\.externalId).joined(separator: ",")
            let location = try await fixture.consent(started.authorizeUrl, flags: "sim_user=\(ids)")
            let completed = try await fixture.complete(started.id, #"{"redirectUrl":"\#(location)"}"#)
            #expect(completed.status == 200, "\(completed.text)")
            let accounts = try completed.decode(ConnectCompleted.self).accounts
            #expect(Set(accounts.map(\.externalId)) == Set(facebook.map(\.externalId)))
            #expect(accounts.allSatisfy { $0.login == .facebook })
            for account in facebook {
                let accountID = try #require(AccountID("instagram:\(account.externalId)"))
                let record = try #require(try await fixture.daemon.store.account(accountID))
                let now = try #require(await fixture.world.account(platform: "instagram", externalId: account.externalId))
                #expect(record.accessToken == now.accessToken, "the Page token replaced the old one")
                #expect(record.tokenExpiresAt == nil, "a Page token from a long-lived user token does not expire")
            }
            try await eventually("the re-authorized account syncs again") {
                let view = try await fixture.daemon.supervisor.accountViews().first { $0.id == dead.description }
                return view?.state != .needsReauth && view?.lastStatus == .success
            }
            #expect(try await fixture.daemon.supervisor.accountViews().count == 4, "no account was added")
        }
    }

    // MARK: Refusals

    /// Every refusal gives its documented code and leaves no account behind: the user's "cancel",
    /// a reused code, an expired code, another attempt's redirect_uri, another attempt's PKCE
    /// verifier, another attempt's state, and a code with no attempt.
    @Test func refusalsLeaveNoAccount() async throws {
        try await Self.withDaemon { fixture in
            // The user clicks "cancel": the callback page shows the platform's error.
            let denied = try await fixture.start(#"{"platform":"instagram"}"#)
            let page = try await fixture.browse(try await fixture.consent(denied.authorizeUrl, flags: "sim_deny=1"))
            #expect(page.status == 400 && page.text.contains("access_denied"), "\(page.text)")
            let failed = try await fixture.control(.GET, "/v1/connect/\(denied.id)").decode(ConnectStatus.self)
            #expect(failed.status == .failed && failed.error?.code == "oauth_error")

            // Two TikTok attempts on the same loopback redirect, two on another.
            let port = try #require(LoopbackPort.free())
            let redirect = "http://127.0.0.1:\(port)/callback/"
            let first = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let second = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let other = try await fixture.start(
                #"{"platform":"tiktok","redirectUri":"http://127.0.0.1:\#(port == 65535 ? port - 1 : port + 1)/callback/"}"#)
            let firstCode = try #require(try Self.query(try await fixture.consent(first.authorizeUrl))["code"])

            // Another attempt's verifier: the code was made for first's challenge.
            let pkce = try await fixture.complete(second.id, #"{"code":"\#(firstCode)"}"#)
            #expect(pkce.code == "oauth_error" && pkce.text.contains("invalid_grant"), "\(pkce.text)")
            // The platform burned the code on that try: it is now a reused code.
            let third = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let reused = try await fixture.complete(third.id, #"{"code":"\#(firstCode)"}"#)
            #expect(reused.code == "oauth_error" && reused.text.contains("has been used"), "\(reused.text)")

            // Another attempt's redirect_uri.
            let fresh = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let freshCode = try #require(try Self.query(try await fixture.consent(fresh.authorizeUrl))["code"])
            let mismatch = try await fixture.complete(other.id, #"{"code":"\#(freshCode)"}"#)
            #expect(mismatch.code == "oauth_error" && mismatch.text.contains("Redirect_uri"), "\(mismatch.text)")

            // Another attempt's state.
            let mine = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let theirs = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let theirLocation = try await fixture.consent(theirs.authorizeUrl)
            let stolen = try await fixture.complete(mine.id, #"{"redirectUrl":"\#(theirLocation)"}"#)
            #expect(stolen.status == 400 && stolen.code == "state_mismatch", "\(stolen.text)")
            // A redirect URL without a state could be anyone's: refused, the attempt stays usable.
            let stateless = try await fixture.complete(mine.id, #"{"redirectUrl":"\#(redirect)?code=someone-elses"}"#)
            #expect(stateless.status == 400 && stateless.code == "state_mismatch", "\(stateless.text)")
            // ... which did not use up either attempt's state.
            let ok = try await fixture.complete(theirs.id, #"{"redirectUrl":"\#(theirLocation)"}"#)
            #expect(ok.status == 200, "\(ok.text)")
            let created = try ok.decode(ConnectCompleted.self).accounts.count

            // An expired code.
            let late = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let lateLocation = try await fixture.consent(late.authorizeUrl)
            _ = try await fixture.simulator(.POST, "/_sim/oauth/expire-codes")
            let expired = try await fixture.complete(late.id, #"{"redirectUrl":"\#(lateLocation)"}"#)
            #expect(expired.code == "oauth_error" && expired.text.contains("expired"), "\(expired.text)")

            // A callback with a state no attempt has, and an unknown attempt.
            let stray = try await fixture.browse(
                "http://127.0.0.1:\(fixture.listenerPort)/oauth/tiktok/callback?code=x&state=nope")
            #expect(stray.status == 400 && stray.text.contains("state does not match"), "\(stray.text)")
            let unknown = try await fixture.complete("c_nope", #"{"code":"x"}"#)
            #expect(unknown.status == 404 && unknown.code == "unknown_connect")

            #expect(created == 1)
            #expect(try await fixture.daemon.supervisor.accountViews().count == 1, "only the one good connect made an account")
            #expect(!(try fixture.logText()).contains(firstCode), "no code in the daemon log")
        }
    }

    /// A wrong client secret is the platform's `invalid_client`; a redirect URI that is not the
    /// configured one is refused before anything starts; a missing app id is `not_configured`.
    @Test func configurationErrors() async throws {
        let wrongSecret: @Sendable (inout Configuration) -> Void = { $0.tiktok.clientSecret = Secret("not-the-secret") }
        try await Self.withDaemon(configure: wrongSecret) { fixture in
            let redirect = "http://127.0.0.1:\(try #require(LoopbackPort.free()))/callback/"
            let started = try await fixture.start(#"{"platform":"tiktok","redirectUri":"\#(redirect)"}"#)
            let location = try await fixture.consent(started.authorizeUrl)
            let answer = try await fixture.complete(started.id, #"{"redirectUrl":"\#(location)"}"#)
            #expect(answer.code == "oauth_error" && answer.text.contains("invalid_client"), "\(answer.text)")
            let wrong = try await fixture.control(
                .POST, "/v1/connect", json: #"{"platform":"tiktok","redirectUri":"http://127.0.0.1:9/elsewhere/"}"#)
            #expect(wrong.status == 400 && wrong.code == "invalid_request", "\(wrong.text)")
            #expect(try await fixture.daemon.supervisor.accountViews().isEmpty)
        }
        let noAppID: @Sendable (inout Configuration) -> Void = { $0.instagram.connect.appID = nil }
        try await Self.withDaemon(configure: noAppID) { fixture in
            let answer = try await fixture.control(.POST, "/v1/connect", json: #"{"platform":"instagram"}"#)
            #expect(answer.status == 409 && answer.code == "not_configured" && answer.text.contains("instagram.app_id"))
        }
    }

    /// An attempt lives 10 minutes: after that, completing it answers 410 `connect_expired`.
    @Test func expiredAttemptIs410() async throws {
        let clock = ManualClock(start: Date())
        try await Self.withDaemon(clock: clock) { fixture in
            let started = try await fixture.start(#"{"platform":"instagram"}"#)
            let location = try await fixture.consent(started.authorizeUrl)
            clock.advance(by: 601)
            let answer = try await fixture.complete(started.id, #"{"redirectUrl":"\#(location)"}"#)
            #expect(answer.status == 410 && answer.code == "connect_expired", "\(answer.text)")
            let page = try await fixture.browse(location)
            #expect(page.status == 410, "\(page.text)")
            #expect(try await fixture.daemon.supervisor.accountViews().isEmpty)
        }
    }

    // MARK: The CLI

    /// `postsync connect tiktok --no-browser --json` against a port-0 loopback redirect: the CLI
    /// listens on a free port, the browser's redirect lands there, and the CLI prints the account
    /// and exits 0.
    @Test func cliLoopbackConnect() async throws {
        try await Self.withDaemon { fixture in
            try await withProcessScope { scope in
                let cli = try scope.start(
                    ProcessRunner.postsync, ["connect", "tiktok", "--no-browser", "--socket", fixture.daemon.socketPath])
                let url = try await Self.authorizeURL(printedBy: cli)
                let redirect = try #require(try Self.query(url)["redirect_uri"])
                #expect(redirect.hasPrefix("http://127.0.0.1:") && !redirect.hasPrefix("http://127.0.0.1:0/"), "\(redirect)")
                // A page that loads the listener with a code of its own is turned away.
                let stray = try await fixture.browse(redirect + "?code=someone-elses&state=guess")
                #expect(stray.status == 400, "\(stray.text)")
                let page = try await fixture.browse(try await fixture.consent(url))
                #expect(page.status == 200 && page.text.contains("Connected @"), "\(page.text)")
                let output = try await cli.waitForExit()
                #expect(output.status == 0, "\(output.stderr)")
                #expect(output.stdout.contains("connected tiktok:"), "\(output.stdout)")
            }
            #expect(try await fixture.daemon.supervisor.accountViews().count == 1)
        }
    }

    /// `postsync connect instagram` with the daemon's own callback as redirect (on loopback, as
    /// in the demo): the CLI does not listen, it polls until the callback completed the attempt.
    @Test func cliPollsTheDaemonCallback() async throws {
        try await Self.withDaemon { fixture in
            try await withProcessScope { scope in
                let cli = try scope.start(
                    ProcessRunner.postsync, ["connect", "instagram", "--no-browser", "--socket", fixture.daemon.socketPath])
                let url = try await Self.authorizeURL(printedBy: cli)
                let page = try await fixture.browse(try await fixture.consent(url))
                #expect(page.status == 200, "\(page.text)")
                let output = try await cli.waitForExit()
                #expect(output.status == 0, "\(output.stderr)")
                #expect(output.stdout.contains("connected instagram:"), "\(output.stdout)")
            }
        }
    }

    /// `--paste` reads the whole redirected URL (with Meta's `#_`) from stdin.
    @Test func cliPaste() async throws {
        try await Self.withDaemon { fixture in
            try await withProcessScope { scope in
                let fifo = try scope.temporaryDirectory("postsync-paste") + "/in"
                #expect(mkfifo(fifo, 0o600) == 0)
                let cli = try scope.start(
                    "/bin/sh",
                    [
                        "-c", "exec \"$0\" connect instagram --paste --no-browser --socket \"$1\" < \"$2\"",
                        ProcessRunner.postsync,
                        fixture.daemon.socketPath, fifo,
                    ])
                let writer = FileHandle(forWritingAtPath: fifo)
                let url = try await Self.authorizeURL(printedBy: cli)
                let location = try await fixture.consent(url)
                try writer?.write(contentsOf: Data((location + "\n").utf8))
                try writer?.close()
                let output = try await cli.waitForExit()
                #expect(output.status == 0, "\(output.stderr)")
                #expect(output.stdout.contains("connected instagram:"), "\(output.stdout)")
            }
        }
    }

    // MARK: Harness

    /// A running daemon with connect configured against the simulator.
    struct Fixture: Sendable {
        let world: SimulatorWorld
        let daemon: Daemon
        let simulatorURL: String
        let listenerPort: Int
        let http: HTTPClient
        let log: Recorder<String>

        var instagramRedirect: String { "http://127.0.0.1:\(listenerPort)/oauth/instagram/callback" }

        /// A control API call over the Unix socket.
        func control(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> Answer {
            let url = try #require(URL(httpURLWithSocketPath: daemon.socketPath, uri: path))
            return try await send(method, url.absoluteString, json: json)
        }

        /// `POST /v1/connect`, which must answer 201.
        func start(_ json: String) async throws -> ConnectStarted {
            let answer = try await control(.POST, "/v1/connect", json: json)
            try #require(answer.status == 201, "\(answer.text)")
            return try answer.decode(ConnectStarted.self)
        }

        /// `POST /v1/connect/{id}/complete`.
        func complete(_ id: String, _ json: String) async throws -> Answer {
            try await control(.POST, "/v1/connect/\(id)/complete", json: json)
        }

        /// The simulated user's consent: the `Location` of the authorize page's 302.
        func consent(_ authorizeURL: String, flags: String = "") async throws -> String {
            let answer = try await send(.GET, authorizeURL + (flags.isEmpty ? "" : "&" + flags))
            try #require(answer.status == 302, "\(answer.status) \(answer.text)")
            return try #require(answer.headers.first(name: "location"))
        }

        /// What a browser does with a URL: drop the fragment, GET it.
        func browse(_ url: String) async throws -> Answer {
            try await send(.GET, String(url.split(separator: "#", maxSplits: 1).first ?? ""))
        }

        /// An admin call of the simulator.
        func simulator(_ method: HTTPMethod, _ path: String) async throws -> Answer {
            try await send(method, simulatorURL + path)
        }

        /// The daemon's log so far: every message with its metadata, at every level.
        func logText() throws -> String { log.values.joined(separator: "\n") }

        private func send(_ method: HTTPMethod, _ url: String, json: String? = nil) async throws -> Answer {
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let json {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: json))
            }
            let response = try await http.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            return Answer(status: Int(response.status.code), headers: response.headers, data: Data(body.readableBytesView))
        }
    }

    /// One HTTP answer.
    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let data: Data
        var text: String { String(decoding: data, as: UTF8.self) }
        /// The error code of an error answer.
        var code: String? {
            struct Envelope: Decodable { var error: ControlError }
            return (try? JSONDecoder().decode(Envelope.self, from: data))?.error.code
        }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONCoding.decoder().decode(T.self, from: data) }
    }

    /// The authorize URL a running `postsync connect` printed on stdout.
    static func authorizeURL(printedBy cli: RunningProcess) async throws -> String {
        var url = ""
        try await eventually("the authorize URL on stdout") {
            url = cli.output().stdout.split(separator: "\n").first { $0.hasPrefix("http") }.map(String.init) ?? ""
            return !url.isEmpty || !cli.process.isRunning
        }
        return url
    }

    static func query(_ url: String) throws -> [String: String] {
        let components = try #require(URLComponents(string: url))
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        return query
    }

    static func withDaemon(
        instagram: Int = 0, importAccounts: Bool = false, clock: (any DaemonClock)? = nil,
        configure: @escaping @Sendable (inout Configuration) -> Void = { _ in },
        _ body: @escaping @Sendable (Fixture) async throws -> Void
    ) async throws {
        let simulator = SimulatorConfiguration(instagramAccounts: instagram, tiktokAccounts: 0, postsPerAccount: 3)
        try await SimulatorHarness.with(simulator) { world, url in
            let port = try #require(LoopbackPort.free())
            var configuration = SimulatorHarness.configuration(baseURL: url, simulator: simulator)
            configuration.http.listen = .address(host: "127.0.0.1", port: port)
            configuration.sync.interval = .seconds(6 * 3_600)
            configuration.sync.schedule = .fixed
            configuration.instagram.insights = false
            configuration.instagram.appSecret = Secret(appSecret)
            configuration.instagram.connect = .init(
                appID: simulator.instagramAppId,
                redirectURI: try RedirectURI.parse("http://127.0.0.1:\(port)/oauth/instagram/callback").get(),
                authorizeURL: url + "/oauth/authorize", tokenURL: url + "/oauth/access_token",
                facebookAuthorizeURL: url + "/v23.0/dialog/oauth")
            configuration.tiktok.connect.authorizeURL = url + "/v2/auth/authorize/"
            configure(&configuration)
            let directory = try temporaryDirectory("postsync-connect")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let log = Recorder<String>()
            let daemon = try await Daemon(
                configuration: configuration, stateDirectory: directory, clock: clock ?? SystemClock(), seed: 1,
                fsync: .never, logger: Logger(label: "connect") { _ in RecordingLogHandler(log: log) })
            if importAccounts { try await SimulatorHarness.importAccounts(from: world, into: daemon.store) }
            var httpConfiguration = HTTPClient.Configuration()
            httpConfiguration.redirectConfiguration = .disallow
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
            let ready = Promise<Int?>()
            let group = ServiceGroup(
                configuration: .init(
                    services: daemon.services(onHTTPReady: { ready.fulfill($0) }).map { .init(service: $0) },
                    logger: testLogger()))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask {
                    defer { ready.fulfill(nil) }
                    try await group.run()
                }
                var outcome: Result<Void, any Error> = .failure(TimedOut(what: "the HTTP listener"))
                if await ready.value != nil {
                    let fixture = Fixture(
                        world: world, daemon: daemon, simulatorURL: url, listenerPort: port, http: http, log: log)
                    do {
                        if importAccounts {
                            try await eventually("the first syncs") {
                                try await daemon.supervisor.accountViews().allSatisfy { $0.lastStatus != nil }
                            }
                        }
                        try await body(fixture)
                        outcome = .success(())
                    } catch {
                        outcome = .failure(error)
                    }
                }
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                try? await http.shutdown()
                await daemon.close()
                try outcome.get()
            }
        }
    }
}

/// Keeps every log line (message and metadata) so a test can check what was never logged.
struct RecordingLogHandler: LogHandler {
    let log: Recorder<String>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        log.append("\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
    }
}
