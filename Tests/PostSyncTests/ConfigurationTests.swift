import Testing

@testable import PostSync

@Suite struct ConfigurationTests {
    /// The example from CONTRACT section 2, verbatim.
    static let contractExample = """
        state_dir: ./state
        control:
          socket: ./state/control.sock     # default <state_dir>/control.sock
          mode: "0660"
        http:
          listen: 127.0.0.1:8787           # webhooks, health, metrics, cron trigger; "off" disables
          max_body: 1MiB
        sync:
          interval: 15m                    # per-account schedule
          jitter: 0.1                      # +- fraction of interval, spreads accounts
          lookback: 30d                    # posts this recent get their metrics refreshed every sync
          max_concurrent: 8                # syncs in flight at once, whole daemon
          deadline: 55s                    # one sync run's time limit
          backoff: { min: 30s, max: 30m }  # exponential, full jitter, reset after a success
          restart: { max: 5, within: 60s } # supervisor: more crashes than this -> account quarantined
        synclog: { max_bytes: 64MiB, keep: 5 }
        instagram:
          graph_url: https://graph.instagram.com          # Instagram Login accounts
          facebook_graph_url: https://graph.facebook.com  # Facebook Login accounts
          api_version: v23.0
          app_secret_file: /run/credentials/postsync.service/instagram-app-secret
          verify_token_file: /run/credentials/postsync.service/instagram-verify-token
          refresh_before: 7d               # refresh a long-lived token this long before it expires
          insights: true                   # per-post insights (views, reach, saved, shares): 1 call per post
          insights_lookback: 7d            # only posts this recent get insights ...
          insights_every: 6h               # ... at most this often per post (spares the rate budget)
        tiktok:
          api_url: https://open.tiktokapis.com
          client_key: abc123
          client_secret_file: /run/credentials/postsync.service/tiktok-client-secret
          refresh_before: 10m
          requests_per_minute: 600         # shared budget per endpoint, whole daemon
        cron:
          secret_file: /run/credentials/postsync.service/cron-secret   # enables POST /api/cron/sync-all
        """

    /// The secret files the contract example names, as a systemd credential directory would hold them.
    static let credentials = [
        "/run/credentials/postsync.service/instagram-app-secret": "ig-app-secret\n",
        "/run/credentials/postsync.service/instagram-verify-token": "ig-verify\n",
        "/run/credentials/postsync.service/tiktok-client-secret": "  tt-secret  \n",
        "/run/credentials/postsync.service/cron-secret": "cron-secret",
    ]

    /// What a stub file system throws for a path it does not have.
    struct NoSuchFile: Error {}

    /// Loads `yaml` with secret files read from `files` instead of the disk.
    static func load(_ yaml: String, files: [String: String] = [:]) throws -> Configuration {
        try ConfigurationLoader.load(
            yaml: yaml,
            readFile: { path in
                guard let contents = files[path] else { throw NoSuchFile() }
                return contents
            })
    }

    /// The error that loading `yaml` throws; records an issue when it loads fine.
    static func loadError(_ yaml: String, files: [String: String] = [:]) throws -> ConfigurationError {
        try #require(throws: ConfigurationError.self) {
            _ = try load(yaml, files: files)
        }
    }

    /// Should load every key of the contract example with the values it spells out.
    @Test func loadsTheContractExample() throws {
        let config = try Self.load(Self.contractExample, files: Self.credentials)
        #expect(config.stateDirectory == "./state")
        #expect(config.control.socket == "./state/control.sock")
        #expect(config.control.mode == 0o660)
        #expect(config.http.listen == .address(host: "127.0.0.1", port: 8787))
        #expect(config.http.maxBody == 1_048_576)
        #expect(config.sync.interval == .seconds(15 * 60))
        #expect(config.sync.jitter == 0.1)
        #expect(config.sync.lookback == .seconds(30 * 86_400))
        #expect(config.sync.maxConcurrent == 8)
        #expect(config.sync.deadline == .seconds(55))
        #expect(config.sync.backoff == .init(min: .seconds(30), max: .seconds(1_800)))
        #expect(config.sync.restart == .init(max: 5, within: .seconds(60)))
        #expect(config.synclog == .init(maxBytes: 67_108_864, keep: 5))
        #expect(config.instagram.graphURL == "https://graph.instagram.com")
        #expect(config.instagram.facebookGraphURL == "https://graph.facebook.com")
        #expect(config.instagram.apiVersion == "v23.0")
        #expect(config.instagram.appSecret?.value == "ig-app-secret")
        #expect(config.instagram.verifyToken?.value == "ig-verify")
        #expect(config.instagram.refreshBefore == .seconds(7 * 86_400))
        #expect(config.instagram.insights)
        #expect(config.instagram.insightsLookback == .seconds(7 * 86_400))
        #expect(config.instagram.insightsEvery == .seconds(6 * 3_600))
        #expect(config.tiktok.apiURL == "https://open.tiktokapis.com")
        #expect(config.tiktok.clientKey == "abc123")
        #expect(config.tiktok.clientSecret?.value == "tt-secret")
        #expect(config.tiktok.refreshBefore == .seconds(600))
        #expect(config.tiktok.requestsPerMinute == 600)
        #expect(config.cron.secret?.value == "cron-secret")
    }

    /// Should give every default for an empty file, a file of comments, and empty sections.
    @Test(arguments: ["", "# nothing here\n\n# at all\n", "sync:\ninstagram: ~\n", "---\n"])
    func emptyFileGivesDefaults(yaml: String) throws {
        #expect(try Self.load(yaml) == Configuration())
    }

    /// Should have the documented defaults in `Configuration()`.
    @Test func defaultsMatchTheContract() {
        let config = Configuration()
        #expect(config.stateDirectory == nil)
        #expect(config.control.socket == nil)
        #expect(config.control.mode == 0o660)
        #expect(config.http.listen == .address(host: "127.0.0.1", port: 8787))
        #expect(config.http.maxBody == 1 << 20)
        #expect(config.sync.interval == .seconds(900))
        #expect(config.synclog.maxBytes == 64 << 20)
        #expect(config.instagram.appSecret == nil)
        #expect(config.tiktok.refreshBefore == .seconds(600))
        #expect(config.cron.secret == nil)
    }

    /// Should reject an unknown top-level key, naming it and listing the valid ones.
    @Test func rejectsUnknownTopLevelKey() throws {
        let error = try Self.loadError("stat_dir: /var/lib/postsync\n")
        #expect(error.key == "stat_dir")
        #expect(error.message.contains("state_dir"))
    }

    /// Should reject an unknown nested key with its dotted path, also in flow mappings.
    @Test func rejectsUnknownNestedKey() throws {
        let error = try Self.loadError("sync:\n  intervall: 5m\n")
        #expect(error.key == "sync.intervall")
        #expect(error.message.contains("interval"))
        #expect(error.description.hasPrefix("config: sync.intervall: unknown key"))
        let nested = try Self.loadError("sync: { backoff: { min: 1s, mxa: 2s } }")
        #expect(nested.key == "sync.backoff.mxa")
    }

    /// Should name `sync.interval` when its value is not a duration.
    @Test func rejectsBadDuration() throws {
        let error = try Self.loadError("sync:\n  interval: 15x\n")
        #expect(
            error
                == ConfigurationError(
                    key: "sync.interval", message: "\"15x\" is not a duration (use 30s, 15m, 6h or 7d)"
                ))
        #expect(error.description == "config: sync.interval: \"15x\" is not a duration (use 30s, 15m, 6h or 7d)")
        #expect(try Self.loadError("sync: { deadline: 0s }").key == "sync.deadline")
        #expect(try Self.loadError("sync: { interval: { every: 5m } }").key == "sync.interval")
    }

    /// Should reject out-of-range numbers and a backoff whose min exceeds its max.
    @Test func rejectsOutOfRangeValues() throws {
        #expect(try Self.loadError("sync: { jitter: 1 }").key == "sync.jitter")
        #expect(try Self.loadError("sync: { max_concurrent: 0 }").key == "sync.max_concurrent")
        #expect(try Self.loadError("sync: { restart: { max: 0 } }").key == "sync.restart.max")
        #expect(try Self.loadError("synclog: { keep: 0 }").key == "synclog.keep")
        #expect(try Self.loadError("sync: { backoff: { min: 1h } }").key == "sync.backoff")
        #expect(try Self.loadError("instagram: { graph_url: ftp://x }").key == "instagram.graph_url")
        #expect(try Self.loadError("instagram: { api_version: 23 }").key == "instagram.api_version")
        #expect(try Self.loadError("control: { mode: \"0980\" }").key == "control.mode")
    }

    /// Should reject listen addresses that are not `off`, `host:port` or `[v6]:port`.
    @Test(arguments: ["localhost", "127.0.0.1:0", "127.0.0.1:65536", "::1:8787", ":8787", "host:http"])
    func rejectsBadListen(listen: String) throws {
        let error = try Self.loadError("http:\n  listen: \"\(listen)\"\n")
        #expect(error.key == "http.listen")
    }

    /// Should accept `off` (a YAML boolean when unquoted) and bracketed IPv6 addresses.
    @Test func parsesListen() throws {
        #expect(try Self.load("http: { listen: off }").http.listen == .off)
        #expect(try Self.load("http:\n  listen: \"off\"\n").http.listen == .off)
        let v6 = try Self.load("http: { listen: \"[::1]:8787\" }").http.listen
        #expect(v6 == .address(host: "::1", port: 8787))
        #expect(v6.description == "[::1]:8787")
        #expect(try Self.load("http: { listen: 0.0.0.0:80 }").http.listen == .address(host: "0.0.0.0", port: 80))
    }

    /// Should read sizes with binary suffixes, and plain integers as bytes.
    @Test func parsesSizes() throws {
        let config = try Self.load("http: { max_body: 1MiB }\nsynclog: { max_bytes: 64MiB }\n")
        #expect(config.http.maxBody == 1_048_576)
        #expect(config.synclog.maxBytes == 67_108_864)
        #expect(ByteSizeText.parse("1MiB") == 1_048_576)
        #expect(ByteSizeText.parse("512 KiB") == 524_288)
        #expect(ByteSizeText.parse("2GiB") == 2_147_483_648)
        #expect(ByteSizeText.parse("100") == 100)
        #expect(ByteSizeText.parse("1MB") == nil)
        #expect(ByteSizeText.parse("-1") == nil)
        #expect(ByteSizeText.parse("") == nil)
        #expect(try Self.loadError("http: { max_body: 0 }").key == "http.max_body")
    }

    /// Should read the control socket mode as octal, quoted or not.
    @Test func parsesOctalMode() throws {
        #expect(try Self.load("control: { mode: 0600 }").control.mode == 0o600)
        #expect(try Self.load("control: { mode: \"0660\" }").control.mode == 0o660)
    }

    /// Should trim the surrounding white space of a secret file, such as `echo`'s newline.
    @Test func trimsSecretFile() throws {
        let config = try Self.load("cron:\n  secret_file: /run/cron\n", files: ["/run/cron": "s3cret\n"])
        #expect(config.cron.secret?.value == "s3cret")
    }

    /// Should reject a secret given both inline and as a file, naming the key.
    @Test func rejectsInlineAndFileSecret() throws {
        let error = try Self.loadError(
            "cron:\n  secret: inline\n  secret_file: /run/cron\n", files: ["/run/cron": "s3cret\n"]
        )
        #expect(error.key == "cron.secret")
    }

    /// Should name the `_file` key of an unreadable or empty secret file, without its contents.
    @Test func reportsUnreadableAndEmptySecretFiles() throws {
        let missing = try Self.loadError("tiktok: { client_secret_file: /nope }")
        #expect(missing.key == "tiktok.client_secret_file")
        #expect(missing.message.contains("/nope"))
        let empty = try Self.loadError("instagram: { app_secret_file: /empty }", files: ["/empty": " \n"])
        #expect(empty.key == "instagram.app_secret_file")
    }

    /// Should report YAML syntax errors with a line number and no key.
    @Test func reportsYAMLSyntaxErrors() throws {
        let error = try Self.loadError("sync:\n  interval: [15m\n")
        #expect(error.key == "")
        #expect(error.message.contains("line"))
        #expect(try Self.loadError("- just\n- a list\n").key == "")
    }

    /// Should print a secret as `<redacted>` however it is printed.
    @Test func secretIsRedacted() {
        let secret = Secret("hunter2")
        #expect(secret.description == "<redacted>")
        #expect(secret.debugDescription == "<redacted>")
        #expect("\(secret)" == "<redacted>")
        #expect(!String(describing: Configuration.Cron(secret: secret)).contains("hunter2"))
        #expect(!String(reflecting: Optional(secret)).contains("hunter2"))
    }

    /// Should parse and format `30s`, `15m`, `6h` and `7d` as round trips.
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("15m", .seconds(900)), ("6h", .seconds(21_600)),
        ("7d", .seconds(604_800)), ("250ms", .milliseconds(250)), ("90s", .seconds(90)),
    ])
    func durationRoundTrips(text: String, duration: Duration) {
        #expect(DurationText.parse(text) == duration)
        #expect(DurationText.format(duration) == text)
    }

    /// Should parse fractions exactly and format what no unit divides as fractional milliseconds.
    @Test func durationFractions() {
        #expect(DurationText.parse("1.5h") == .seconds(5_400))
        #expect(DurationText.format(.seconds(5_400)) == "90m")
        #expect(DurationText.format(.microseconds(1_500)) == "1.5ms")
        #expect(DurationText.parse("1.5ms") == .microseconds(1_500))
        #expect(DurationText.parse("0s") == .zero)
    }

    /// Should reject text that is not a non-negative number with a unit.
    @Test(arguments: ["15x", "-1s", "", "s", "15", "1.s", ".5s", "1 s", "1e3s", "+1s", "99999999999999999999d"])
    func durationRejects(text: String) {
        #expect(DurationText.parse(text) == nil)
    }
}
