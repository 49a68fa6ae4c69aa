/// Everything the config file can set (CONTRACT section 2). Every property has the documented
/// default, so `Configuration()` is what an empty or missing config file means.
///
/// Read it with `ConfigurationLoader`; the loader rejects unknown keys and bad values, so code that
/// receives a `Configuration` can trust every value in it.
public struct Configuration: Sendable, Equatable {
    /// `state_dir`; nil when the file does not set it (the command line and the environment come
    /// first, and `./state` is the last fallback; resolving that order is the caller's job).
    public var stateDirectory: String?
    /// `control`: the control socket.
    public var control: Control
    /// `http`: the webhook, health, metrics and cron listener.
    public var http: HTTP
    /// `sync`: scheduling, limits and retries.
    public var sync: Sync
    /// `synclog`: rotation of the SyncLog files.
    public var synclog: SyncLogSettings
    /// `instagram`: Graph API endpoints, app credentials and token refresh.
    public var instagram: Instagram
    /// `tiktok`: API endpoint, client credentials and rate budget.
    public var tiktok: TikTok
    /// `cron`: the secret that enables `POST /api/cron/sync-all`.
    public var cron: Cron
    /// `database`: SQLite (the default) or PostgreSQL.
    public var database: Database
    /// `cluster`: node id and lease when several daemons share a PostgreSQL database.
    public var cluster: Cluster

    /// Creates a configuration; every argument defaults to the documented default, so
    /// `Configuration()` is the all-defaults configuration.
    public init(
        stateDirectory: String? = nil,
        control: Control = Control(),
        http: HTTP = HTTP(),
        sync: Sync = Sync(),
        synclog: SyncLogSettings = SyncLogSettings(),
        instagram: Instagram = Instagram(),
        tiktok: TikTok = TikTok(),
        cron: Cron = Cron(),
        database: Database = Database(),
        cluster: Cluster = Cluster()
    ) {
        self.stateDirectory = stateDirectory
        self.control = control
        self.http = http
        self.sync = sync
        self.synclog = synclog
        self.instagram = instagram
        self.tiktok = tiktok
        self.cron = cron
        self.database = database
        self.cluster = cluster
    }
}

/// Where the HTTP listener binds, or that it is off (`http.listen`).
public typealias ListenAddress = Configuration.HTTP.ListenAddress

extension Configuration {
    /// `control`: the control socket.
    public struct Control: Sendable, Equatable {
        /// `control.socket`; nil means `<state_dir>/control.sock`.
        public var socket: String?
        /// `control.mode`: file mode of the socket (default 0o660).
        public var mode: UInt32

        /// Creates the section; the defaults are the documented ones.
        public init(socket: String? = nil, mode: UInt32 = 0o660) {
            self.socket = socket
            self.mode = mode
        }
    }

    /// `http`: the webhook, health, metrics and cron listener.
    public struct HTTP: Sendable, Equatable {
        /// Where the listener binds, or `.off`.
        public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
            /// `listen: off`: no HTTP listener at all.
            case off
            /// A host (name, IPv4 or IPv6 address without brackets) and a port (1–65535).
            case address(host: String, port: Int)

            /// `off`, `host:port`, or `[v6addr]:port`, the way the config file spells it.
            public var description: String {
                switch self {
                case .off:
                    return "off"
                case .address(let host, let port):
                    // IPv6 literals need brackets, or the port would read as part of the address.
                    return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
                }
            }
        }

        /// `http.listen` (default `127.0.0.1:8787`).
        public var listen: ListenAddress
        /// `http.max_body`: larger request bodies get 413 (default 1 MiB).
        public var maxBody: Int

        /// Creates the section; the defaults are the documented ones.
        public init(listen: ListenAddress = .address(host: "127.0.0.1", port: 8787), maxBody: Int = 1 << 20) {
            self.listen = listen
            self.maxBody = maxBody
        }
    }

    /// `sync`: scheduling, limits and retries.
    public struct Sync: Sendable, Equatable {
        /// `sync.backoff`: exponential backoff with full jitter after failures.
        public struct Backoff: Sendable, Equatable {
            /// `sync.backoff.min`: the first retry delay (default 30s).
            public var min: Duration
            /// `sync.backoff.max`: the longest retry delay (default 30m).
            public var max: Duration

            /// Creates the section; the defaults are the documented ones.
            public init(min: Duration = .seconds(30), max: Duration = .seconds(30 * 60)) {
                self.min = min
                self.max = max
            }
        }

        /// `sync.restart`: the supervisor's crash budget per account.
        public struct Restart: Sendable, Equatable {
            /// `sync.restart.max`: more crashes than this within `within` quarantine the account
            /// (default 5).
            public var max: Int
            /// `sync.restart.within`: the window crashes are counted in (default 60s).
            public var within: Duration

            /// Creates the section; the defaults are the documented ones.
            public init(max: Int = 5, within: Duration = .seconds(60)) {
                self.max = max
                self.within = within
            }
        }

        /// `sync.interval`: the fixed schedule's period; the adaptive one's mean period while the
        /// budget allows it (default 15m).
        public var interval: Duration
        /// `sync.schedule` (`adaptive`, the default, or `fixed`) with `sync.min_interval`,
        /// `sync.max_interval` and `sync.budget` (CONTRACT section 12).
        public var schedule: ScheduleMode
        /// `sync.jitter`: ± this fraction of the interval, 0 ≤ jitter < 1 (default 0.1).
        public var jitter: Double
        /// `sync.lookback`: posts this recent get their metrics refreshed every sync (default 30d).
        public var lookback: Duration
        /// `sync.max_concurrent`: syncs in flight at once, whole daemon (default 8).
        public var maxConcurrent: Int
        /// `sync.deadline`: one sync run's time limit (default 55s).
        public var deadline: Duration
        /// `sync.backoff`.
        public var backoff: Backoff
        /// `sync.restart`.
        public var restart: Restart

        /// Creates the section; the defaults are the documented ones.
        public init(
            interval: Duration = .seconds(15 * 60),
            schedule: ScheduleMode = .adaptive(.init()),
            jitter: Double = 0.1,
            lookback: Duration = .seconds(30 * 86_400),
            maxConcurrent: Int = 8,
            deadline: Duration = .seconds(55),
            backoff: Backoff = Backoff(),
            restart: Restart = Restart()
        ) {
            self.interval = interval
            self.schedule = schedule
            self.jitter = jitter
            self.lookback = lookback
            self.maxConcurrent = maxConcurrent
            self.deadline = deadline
            self.backoff = backoff
            self.restart = restart
        }
    }

    /// `synclog`: rotation of `synclog.jsonl`.
    public struct SyncLogSettings: Sendable, Equatable {
        /// `synclog.max_bytes`: rotate when the live file would grow past this (default 64 MiB).
        public var maxBytes: Int64
        /// `synclog.keep`: rotated files kept, `.1` … `.keep` (default 5).
        public var keep: Int

        /// Creates the section; the defaults are the documented ones.
        public init(maxBytes: Int64 = 64 << 20, keep: Int = 5) {
            self.maxBytes = maxBytes
            self.keep = keep
        }
    }

    /// `instagram`: Graph API endpoints, app credentials and token refresh.
    public struct Instagram: Sendable, Equatable {
        /// `instagram.graph_url`, for Instagram Login accounts; no trailing slash.
        public var graphURL: String
        /// `instagram.facebook_graph_url`, for Facebook Login accounts; no trailing slash.
        public var facebookGraphURL: String
        /// `instagram.api_version`, e.g. `v23.0`.
        public var apiVersion: String
        /// `instagram.app_secret` / `app_secret_file`: verifies webhook signatures.
        public var appSecret: Secret?
        /// `instagram.verify_token` / `verify_token_file`: answers Meta's webhook verification.
        public var verifyToken: Secret?
        /// `instagram.refresh_before`: refresh a long-lived token this long before it expires
        /// (default 7d).
        public var refreshBefore: Duration
        /// `instagram.insights`: fetch per-post insights, one call per post (default true).
        public var insights: Bool
        /// `instagram.insights_lookback`: only posts this recent get insights (default 7d).
        public var insightsLookback: Duration
        /// `instagram.insights_every`: at most this often per post (default 6h).
        public var insightsEvery: Duration
        /// `instagram.app_id`, `redirect_uri`, `scopes` and the OAuth URLs (CONTRACT section 11).
        public var connect = InstagramConnect()

        /// Creates the section; the defaults are the documented ones.
        public init(
            graphURL: String = "https://graph.instagram.com",
            facebookGraphURL: String = "https://graph.facebook.com",
            apiVersion: String = "v23.0",
            appSecret: Secret? = nil,
            verifyToken: Secret? = nil,
            refreshBefore: Duration = .seconds(7 * 86_400),
            insights: Bool = true,
            insightsLookback: Duration = .seconds(7 * 86_400),
            insightsEvery: Duration = .seconds(6 * 3_600)
        ) {
            self.graphURL = graphURL
            self.facebookGraphURL = facebookGraphURL
            self.apiVersion = apiVersion
            self.appSecret = appSecret
            self.verifyToken = verifyToken
            self.refreshBefore = refreshBefore
            self.insights = insights
            self.insightsLookback = insightsLookback
            self.insightsEvery = insightsEvery
        }
    }

    /// `tiktok`: API endpoint, client credentials and rate budget.
    public struct TikTok: Sendable, Equatable {
        /// `tiktok.api_url`; no trailing slash.
        public var apiURL: String
        /// `tiktok.client_key` (public, so it may be inline).
        public var clientKey: String?
        /// `tiktok.client_secret` / `client_secret_file`: token refresh and webhook signatures.
        public var clientSecret: Secret?
        /// `tiktok.refresh_before`: refresh an access token this long before it expires
        /// (default 10m).
        public var refreshBefore: Duration
        /// `tiktok.requests_per_minute`: shared budget per endpoint, whole daemon (default 600).
        public var requestsPerMinute: Int
        /// `tiktok.redirect_uri`, `scopes` and `authorize_url` (CONTRACT section 11).
        public var connect = TikTokConnect()

        /// Creates the section; the defaults are the documented ones.
        public init(
            apiURL: String = "https://open.tiktokapis.com",
            clientKey: String? = nil,
            clientSecret: Secret? = nil,
            refreshBefore: Duration = .seconds(10 * 60),
            requestsPerMinute: Int = 600
        ) {
            self.apiURL = apiURL
            self.clientKey = clientKey
            self.clientSecret = clientSecret
            self.refreshBefore = refreshBefore
            self.requestsPerMinute = requestsPerMinute
        }
    }

    /// `cron`: the external trigger.
    public struct Cron: Sendable, Equatable {
        /// `cron.secret` / `secret_file`; nil disables `POST /api/cron/sync-all` (404).
        public var secret: Secret?

        /// Creates the section; without a secret the cron endpoint is off.
        public init(secret: Secret? = nil) {
            self.secret = secret
        }
    }
}
