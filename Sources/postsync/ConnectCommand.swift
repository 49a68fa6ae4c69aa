import ArgumentParser
import Foundation
import PostSync
import Synchronization

/// `postsync connect instagram|tiktok`: adds or re-authorizes an account through the platform's
/// consent screen (CONTRACT section 11). The daemon holds the app credentials and exchanges the
/// code; this command only carries the browser's result back to it.
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Add or re-authorize an account through the platform's OAuth consent screen.",
        discussion: """
            Prints the platform's authorize URL (and opens it with xdg-open on a desktop session unless \
            --no-browser), then waits for the browser's return:
              - a loopback redirect_uri (TikTok's default, http://127.0.0.1:0/callback/): this command \
            listens on 127.0.0.1 and forwards the redirect to the daemon;
              - an HTTPS redirect_uri (Instagram: https://<your host>/oauth/instagram/callback, proxied to \
            http.listen): the daemon's listener takes it and this command waits for the result;
              - --paste: paste the whole address the browser ended on (for a browser on another machine).
            Connecting an account that exists replaces its tokens and clears needs_reauth; a new account \
            starts with auto-sync on and is synced at once.
            Prints `connected <account> (@name)` per account; exits 1 on a platform error or time-out.
            The daemon must know the app: instagram.app_id, instagram.app_secret(_file) and \
            instagram.redirect_uri, or tiktok.client_key and tiktok.client_secret(_file).
            """)

    /// How often an HTTPS redirect's attempt is polled.
    static let pollInterval: Duration = .seconds(1)

    @OptionGroup var client: ClientOptions

    @Argument(help: ArgumentHelp("instagram or tiktok.", valueName: "platform"))
    var platformName: String

    @Option(name: .long, help: ArgumentHelp("Instagram only: instagram (default) or facebook.", valueName: "login"))
    var login: String?

    /// The platform argument.
    var platform: Platform { Platform(rawValue: platformName) ?? .instagram }
    /// The `--login` option.
    var instagramLogin: InstagramLogin? { login.flatMap(InstagramLogin.init(rawValue:)) }

    @Flag(name: .long, help: "Read the redirected URL from standard input instead of listening or polling.")
    var paste = false

    @Flag(name: .long, help: "Do not run xdg-open; only print the URL.")
    var noBrowser = false

    @Option(name: .long, help: ArgumentHelp("Give up after this long (the attempt lives 10m).", valueName: "duration"))
    var timeout: String = "10m"

    @Flag(name: .long, help: "Print the control API's JSON answer as is.")
    var json = false

    func validate() throws {
        guard Platform(rawValue: platformName) != nil else {
            throw ValidationError("platform: \"\(platformName)\" is not instagram or tiktok")
        }
        if let login, InstagramLogin(rawValue: login) == nil {
            throw ValidationError("--login: \"\(login)\" is not instagram or facebook")
        }
        if platform == .tiktok, login != nil { throw ValidationError("--login is only for instagram") }
        guard let limit = DurationText.parse(timeout), limit > .zero else {
            throw ValidationError("--timeout: \"\(timeout)\" is not a duration like 30s, 5m or 10m")
        }
        _ = limit
    }

    func run() async throws {
        let limit = DurationText.parse(timeout) ?? .seconds(600)
        let body = try await client.withClient { control in
            try await withTimeout(limit) { try await connect(control) }
        }
        let completed = try Output.decode(ConnectCompleted.self, from: body)
        if json { return Output.json(body) }
        for account in completed.accounts {
            Output.line("connected \(account.id)" + (account.username.map { " (@\(TerminalStyle.sanitized($0)))" } ?? ""))
        }
    }

    /// Starts the attempt and waits for its completion; returns the JSON of the accounts.
    private func connect(_ control: ControlClient) async throws -> Data {
        var started = try await start(control, redirectURI: nil)
        guard case .success(let redirect) = RedirectURI.parse(started.redirectUri) else {
            throw OperationFailure(message: "the daemon gave an unusable redirect URI \(started.redirectUri)")
        }
        if paste {
            if redirect.needsPort {
                guard let port = LoopbackPort.free() else { throw OperationFailure(message: "no free loopback port") }
                started = try await start(control, redirectURI: redirect.withPort(port).text)
            }
            show(started)
            printError("Paste the whole address the browser ended on, then press Enter:")
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw OperationFailure(message: "nothing was pasted")
            }
            return try await complete(control, id: started.id, redirectURL: line)
        }
        // The daemon's own callback (also on a loopback address, as in the demo) takes the
        // redirect itself: wait for the attempt instead of listening.
        guard redirect.isLoopback, !redirect.path.hasPrefix("/oauth/") else {
            show(started)
            return try await poll(control, id: started.id)
        }
        let attempt = AttemptBox()
        let listener = LoopbackRedirectListener(
            host: redirect.host, port: redirect.port ?? 80, path: redirect.path, expectedState: { attempt.state })
        let configured = started
        let outcome = try await listener.run(
            onReady: { port in
                // A port-0 redirect URI is only known now: the attempt names the real port.
                let real = redirect.needsPort ? try await start(control, redirectURI: redirect.withPort(port).text) : configured
                attempt.set(real.id, state: Self.state(of: real.authorizeUrl))
                show(real)
            },
            forward: { url in
                do {
                    let data = try await complete(control, id: attempt.id, redirectURL: url)
                    return .success(try Output.decode(ConnectCompleted.self, from: data).accounts)
                } catch {
                    return .failure(error)
                }
            })
        switch outcome {
        case .success(let accounts): return try ControlClient.json(ConnectCompleted(accounts: accounts))
        case .failure(let error): throw error
        }
    }

    private func start(_ control: ControlClient, redirectURI: String?) async throws -> ConnectStarted {
        struct Body: Encodable {
            var platform: Platform
            var login: InstagramLogin?
            var redirectUri: String?
        }
        let json = try ControlClient.json(Body(platform: platform, login: instagramLogin, redirectUri: redirectURI))
        return try Output.decode(ConnectStarted.self, from: try await control.post("/v1/connect", json: json).body)
    }

    private func complete(_ control: ControlClient, id: String, redirectURL: String) async throws -> Data {
        let json = try ControlClient.json(["redirectUrl": redirectURL])
        return try await control.post("/v1/connect/\(id)/complete", json: json, timeout: 120).body
    }

    /// Polls `GET /v1/connect/{id}` until the daemon's callback completed it.
    private func poll(_ control: ControlClient, id: String) async throws -> Data {
        while true {
            try await Task.sleep(for: Self.pollInterval)
            let status = try Output.decode(ConnectStatus.self, from: try await control.get("/v1/connect/\(id)").body)
            switch status.status {
            case .pending: continue
            case .connected: return try ControlClient.json(ConnectCompleted(accounts: status.accounts))
            case .failed: throw status.error ?? OperationFailure(message: "the connect failed")
            }
        }
    }

    /// Prints the URL (stderr with --json, so stdout stays JSON) and opens a browser.
    private func show(_ started: ConnectStarted) {
        let text =
            "Open this URL to authorize postsync (valid until \(Timestamp.format(started.expiresAt))):\n"
            + started.authorizeUrl
        if json { printError(text) } else { Output.line(text) }
        let environment = ProcessInfo.processInfo.environment
        guard !noBrowser, environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil else { return }
        let opener = Process()
        opener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        opener.arguments = ["xdg-open", started.authorizeUrl]
        opener.standardOutput = FileHandle.nullDevice
        opener.standardError = FileHandle.nullDevice
        try? opener.run()
    }

    /// Runs `body`, or fails with "timed out" after `limit`.
    private func withTimeout<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw OperationFailure(message: "timed out after \(timeout) waiting for the browser")
            }
            return value
        }
    }

    /// The id of the attempt the loopback redirect completes (known once the listener is bound).
    private final class AttemptBox: Sendable {
        private let value = Mutex<(id: String, state: String?)>(("", nil))
        var id: String { value.withLock { $0.id } }
        var state: String? { value.withLock { $0.state } }
        func set(_ id: String, state: String?) { value.withLock { $0 = (id, state) } }
    }

    /// The `state` parameter of an authorize URL.
    static func state(of url: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == "state" }?.value
    }
}
