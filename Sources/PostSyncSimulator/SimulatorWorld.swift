import Foundation

/// The whole simulated state of both platforms: accounts, posts, tokens, faults and the request log.
///
/// Every HTTP answer is computed here by `handle(_:)` as a plain value, so tests can drive the
/// world without a socket and `SimulatorServer` stays a thin adapter.
public actor SimulatorWorld {
    /// The configuration the world was built with.
    public nonisolated let configuration: SimulatorConfiguration
    /// Events a webhook deliverer can subscribe to (single consumer; the newest 1000 are buffered).
    public nonisolated let events: AsyncStream<SimulatorEvent>

    /// The producing side of `events`.
    let eventContinuation: AsyncStream<SimulatorEvent>.Continuation
    /// Data generator: accounts, posts, new tokens.
    var rng: SeededGenerator
    /// A separate generator for fault rolls, so injecting faults does not change generated data.
    var faultRNG: SeededGenerator
    /// Counter hashed into `fbtrace_id`s and `log_id`s.
    var idCounter: UInt64 = 0
    /// All accounts, in generation order (Instagram first). Add accounts only with
    /// `appendAccounts` (which indexes them); changing an account in place is fine.
    var accountList: [SimulatedAccount]
    /// Position in `accountList` by account key: every request looks its account up, and a scan
    /// of 100,000 accounts per request made the simulator, not the daemon, the bottleneck.
    private var accountPositions: [String: Int] = [:]
    /// Profile data by account key.
    var profiles: [String: AccountProfile]
    /// Posts per account key, newest first.
    var postsByAccount: [String: [SimulatedPost]]
    /// Post id → account key.
    var postOwner: [String: String] = [:]
    /// Next world-unique post number (makes post ids unique).
    var nextSerial: Int
    /// Every Instagram token ever issued, by token string.
    var instagramTokens: [String: InstagramToken]
    /// Every TikTok access token ever issued, by token string.
    var tiktokAccessTokens: [String: TikTokAccessToken]
    /// Every TikTok refresh token ever issued, by token string.
    var tiktokRefreshTokens: [String: TikTokRefreshToken]
    /// The request log.
    var log: [SimulatorRequest] = []
    /// Injected faults by endpoint name (or wildcard).
    var faults: [String: SimulatorFault] = [:]
    /// Admission times per TikTok endpoint within the last 60 s (the sliding rate-limit window).
    var tiktokWindows: [String: SlidingWindow] = [:]
    /// Instagram call times per account within the last hour (for `X-Business-Use-Case-Usage`).
    var instagramCalls: [String: [Date]] = [:]
    /// Requests refused by the real TikTok sliding-window limit.
    var overLimit = 0
    /// OAuth authorization codes handed out by the simulated consent screens.
    var oauthCodes: [String: OAuthCode] = [:]
    /// Instagram Login's short-lived (1 h) tokens, good only for `ig_exchange_token`.
    var instagramShortTokens: [String: ShortLivedToken] = [:]
    /// Facebook Login user tokens (short- and long-lived): which Instagram accounts they reach.
    var facebookUserTokens: [String: FacebookUserToken] = [:]

    /// Builds the world deterministically from `configuration.seed` and the clock's current time.
    public init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        var rng = SeededGenerator(seed: configuration.seed)
        let seeded = WorldSeeder.seed(configuration, now: PlatformTime.wholeSeconds(configuration.now()), rng: &rng)
        self.rng = rng
        self.faultRNG = SeededGenerator(seed: SeededGenerator.mix(configuration.seed ^ 0xFA17_FA17_FA17_FA17))
        self.accountList = seeded.accounts
        self.accountPositions = Dictionary(
            seeded.accounts.enumerated().map { ($0.element.key, $0.offset) }, uniquingKeysWith: { first, _ in first })
        self.profiles = seeded.profiles
        self.postsByAccount = seeded.posts
        self.nextSerial = seeded.nextSerial
        self.instagramTokens = seeded.instagramTokens
        self.tiktokAccessTokens = seeded.tiktokAccessTokens
        self.tiktokRefreshTokens = seeded.tiktokRefreshTokens
        var owners: [String: String] = [:]
        for (key, posts) in seeded.posts {
            for post in posts { owners[post.id] = key }
        }
        self.postOwner = owners
        let (stream, continuation) = AsyncStream.makeStream(of: SimulatorEvent.self, bufferingPolicy: .bufferingNewest(1_000))
        self.events = stream
        self.eventContinuation = continuation
    }

    /// Adds accounts at the end of `accountList` and indexes them.
    func appendAccounts(_ accounts: [SimulatedAccount]) {
        for account in accounts {
            if accountPositions[account.key] == nil { accountPositions[account.key] = accountList.count }
            accountList.append(account)
        }
    }

    // MARK: Inspection

    /// All accounts with their current tokens: Instagram first, then TikTok.
    public func accounts() -> [SimulatedAccount] {
        accountList
    }

    /// One account, or nil when unknown.
    public func account(platform: String, externalId: String) -> SimulatedAccount? {
        accountIndex(platform: platform, externalId: externalId).map { accountList[$0] }
    }

    /// An account's posts, newest first (empty for an unknown account).
    public func posts(platform: String, externalId: String) -> [SimulatedPost] {
        postsByAccount["\(platform):\(externalId)"] ?? []
    }

    /// Every platform request answered so far, in order (admin requests are not logged; only
    /// the newest ~100 000 are kept).
    public func requestLog() -> [SimulatorRequest] {
        log
    }

    /// Empties the request log.
    public func clearRequestLog() {
        log.removeAll()
    }

    /// Number of logged requests, optionally only those of one endpoint (e.g. `"tiktok.video.list"`).
    public func requestCount(endpoint: String? = nil) -> Int {
        guard let endpoint else { return log.count }
        return log.count(where: { $0.endpoint == endpoint })
    }

    /// TikTok requests answered 429 because the real sliding-window limit was exceeded
    /// (injected rate-limit faults are not counted).
    public func overLimitCount() -> Int {
        overLimit
    }

    // MARK: Changing the world

    /// Publishes a new post "now" and returns it (nil for an unknown account).
    ///
    /// When the clock is frozen, each new post is one second newer than the previous newest one,
    /// so posts never share a second (see `WorldSeeder`).
    @discardableResult
    public func publishPost(platform: String, externalId: String) -> SimulatedPost? {
        guard let current = account(platform: platform, externalId: externalId) else { return nil }
        let key = current.key
        var publishedAt = currentTime()
        if let newest = postsByAccount[key]?.first, newest.publishedAt >= publishedAt {
            publishedAt = newest.publishedAt.addingTimeInterval(1)
        }
        let owner = PostFactory.Owner(platform: platform, username: current.username, clientKey: configuration.tiktokClientKey)
        let post = PostFactory.make(owner: owner, serial: nextSerial, publishedAt: publishedAt, withMetrics: false, rng: &rng)
        nextSerial += 1
        postsByAccount[key, default: []].insert(post, at: 0)
        postOwner[post.id] = key
        emit("post.published", accountKey: key, postId: post.id)
        return post
    }

    /// Sets some metrics of a post; nil leaves a metric unchanged. Reach keeps its ratio to views
    /// and never exceeds them, so insights stay consistent with the post.
    public func setMetrics(platform: String, postId: String, likes: Int?, comments: Int?, views: Int?, shares: Int?) {
        guard let key = postOwner[postId], key.hasPrefix(platform + ":"),
            let index = postsByAccount[key]?.firstIndex(where: { $0.id == postId }),
            var post = postsByAccount[key]?[index]
        else { return }
        if let likes { post.likes = max(0, likes) }
        if let comments { post.comments = max(0, comments) }
        if let shares { post.shares = max(0, shares) }
        if let views {
            let newViews = max(0, views)
            post.reach = post.views > 0 ? min(newViews, post.reach * newViews / post.views) : newViews * 7 / 10
            post.views = newViews
        }
        postsByAccount[key]?[index] = post
        emit("metrics.changed", accountKey: key, postId: postId)
    }

    /// Adds one like to the account's newest post.
    public func bumpMetrics(platform: String, externalId: String) {
        guard let newest = posts(platform: platform, externalId: externalId).first else { return }
        setMetrics(platform: platform, postId: newest.id, likes: newest.likes + 1, comments: nil, views: nil, shares: nil)
    }

    /// Makes the account's access tokens expired now (TikTok refresh tokens keep working).
    public func expireAccessToken(platform: String, externalId: String) {
        guard let index = accountIndex(platform: platform, externalId: externalId) else { return }
        let key = accountList[index].key
        let expired = currentTime().addingTimeInterval(-1)
        for (token, record) in instagramTokens where record.accountKey == key && record.expiresAt > expired {
            instagramTokens[token]?.expiresAt = expired
        }
        for (token, record) in tiktokAccessTokens where record.accountKey == key && record.expiresAt > expired {
            tiktokAccessTokens[token]?.expiresAt = expired
        }
        accountList[index].expiresAt = expired
        emit("token.expired", accountKey: key, postId: nil)
    }

    /// Kills every token of the account: Instagram answers 190, TikTok `access_token_invalid`
    /// and `invalid_grant` on refresh, until `reauthorize` is called.
    public func revokeToken(platform: String, externalId: String) {
        guard let index = accountIndex(platform: platform, externalId: externalId) else { return }
        let key = accountList[index].key
        for (token, record) in instagramTokens where record.accountKey == key {
            instagramTokens[token]?.revoked = true
        }
        for (token, record) in tiktokAccessTokens where record.accountKey == key {
            tiktokAccessTokens[token]?.valid = false
        }
        for (token, record) in tiktokRefreshTokens where record.accountKey == key {
            tiktokRefreshTokens[token]?.valid = false
        }
        emit("authorization.removed", accountKey: key, postId: nil)
    }

    /// Sets (or with nil clears) the fault of an endpoint name. `"instagram.*"`, `"tiktok.*"` and
    /// `"*"` apply to every endpoint of a platform or to all, when no exact entry exists.
    public func setFault(_ fault: SimulatorFault?, endpoint: String) {
        faults[endpoint] = fault
    }

    /// The configured faults by endpoint name.
    public func configuredFaults() -> [String: SimulatorFault] {
        faults
    }

    // MARK: Helpers shared by the extensions

    /// The clock, truncated to whole seconds.
    func currentTime() -> Date {
        PlatformTime.wholeSeconds(configuration.now())
    }

    /// Position of an account in `accountList`.
    func accountIndex(platform: String, externalId: String) -> Int? {
        accountPositions["\(platform):\(externalId)"]
    }

    /// Position of an account in `accountList`, by `"<platform>:<externalId>"`.
    func accountIndex(key: String) -> Int? {
        accountPositions[key]
    }

    /// Publishes an event for the webhook forwarder (`WebhookForwarder`), and returns it.
    @discardableResult
    func emit(_ kind: String, accountKey: String, postId: String?, detail: String? = nil) -> SimulatorEvent? {
        guard let index = accountIndex(key: accountKey) else { return nil }
        let account = accountList[index]
        let event = SimulatorEvent(
            kind: kind, platform: account.platform, externalId: account.externalId, postId: postId, at: currentTime(),
            detail: detail
        )
        eventContinuation.yield(event)
        return event
    }

    /// The next deterministic 64-bit id (trace ids, log ids).
    func nextIdBits() -> UInt64 {
        idCounter += 1
        return SeededGenerator.mix(idCounter ^ configuration.seed)
    }
}
