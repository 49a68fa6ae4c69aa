import Foundation

/// Everything that shapes a simulated world: its seed, its size, the credentials it accepts, the
/// token lifetimes it grants and the clock it reads.
public struct SimulatorConfiguration: Sendable {
    /// Seed of every generated value (ids, usernames, captions, metrics, tokens, fault rolls).
    public var seed: UInt64
    /// Number of Instagram professional accounts; even indexes use Instagram Login, odd ones Facebook Login.
    public var instagramAccounts: Int
    /// Number of TikTok accounts.
    public var tiktokAccounts: Int
    /// Number of posts generated per account, spread over the past ~90 days.
    public var postsPerAccount: Int
    /// The TikTok `client_key` accepted by `/v2/oauth/token/` (also the `utm_source` of share URLs).
    public var tiktokClientKey: String
    /// The TikTok `client_secret` accepted by `/v2/oauth/token/`.
    public var tiktokClientSecret: String
    /// The Instagram app secret, the key of `X-Hub-Signature-256` on delivered webhooks, and
    /// the `client_secret` the OAuth code exchanges accept.
    public var instagramAppSecret: String
    /// The Meta app id (`client_id`) the OAuth dialogs and code exchanges accept.
    public var instagramAppId = "990000000000001"
    /// How long an OAuth authorization code can be exchanged (Meta: one hour; TikTok documents
    /// no figure, so the same).
    public var oauthCodeLifetime: TimeInterval = 3_600
    /// Lifetime of an Instagram long-lived token (60 days).
    public var instagramTokenLifetime: TimeInterval
    /// Lifetime of a TikTok access token (the newest TikTok docs say 2 hours).
    public var tiktokAccessTokenLifetime: TimeInterval
    /// Lifetime of a TikTok grant's refresh tokens (180 days, counted from the original grant:
    /// a refresh does not extend it).
    public var tiktokRefreshTokenLifetime: TimeInterval
    /// Default `limit` of Instagram `/media` pages (the maximum is always 100).
    public var pageSizeDefault: Int
    /// Instagram calls per account and hour that count as 100 % in `X-Business-Use-Case-Usage`.
    /// Generous on purpose so that tests and the demo see low percentages.
    public var instagramCallsPerHourBudget: Int
    /// TikTok requests per endpoint in any 60 s sliding window before HTTP 429 (TikTok's default: 600).
    public var tiktokRequestsPerMinute: Int
    /// Base URL of the daemon that receives webhooks (`<url>/webhooks/instagram`, `<url>/webhooks/tiktok`);
    /// nil delivers none. `SimulatorServer` runs a `WebhookForwarder` when it is set.
    public var webhookURL: String?
    /// The clock the world reads; inject a fixed or manual clock in tests.
    public var now: @Sendable () -> Date
    /// Instagram insights metrics that a kind of media rejects with code 100, as Meta does
    /// (`views` on some product types, `shares` on some IMAGE posts, `saved` on STORY), keyed by
    /// media type (`IMAGE`) or media and product type (`VIDEO/REELS`). Empty: every metric works.
    public var instagramUnsupportedInsights: [String: Set<String>] = [:]

    /// Creates a configuration; every parameter has the documented default.
    /// - Parameters:
    ///   - seed: Seed of every generated value.
    ///   - instagramAccounts: Number of Instagram accounts.
    ///   - tiktokAccounts: Number of TikTok accounts.
    ///   - postsPerAccount: Posts generated per account.
    ///   - tiktokClientKey: Accepted TikTok client key.
    ///   - tiktokClientSecret: Accepted TikTok client secret.
    ///   - instagramAppSecret: Instagram app secret.
    ///   - instagramTokenLifetime: Instagram long-lived token lifetime.
    ///   - tiktokAccessTokenLifetime: TikTok access token lifetime.
    ///   - tiktokRefreshTokenLifetime: TikTok refresh token lifetime from the original grant.
    ///   - pageSizeDefault: Default Instagram `/media` page size.
    ///   - instagramCallsPerHourBudget: Calls per account and hour reported as 100 % usage.
    ///   - tiktokRequestsPerMinute: TikTok per-endpoint limit per sliding minute.
    ///   - webhookURL: Where webhooks are delivered; nil for none.
    ///   - now: The clock.
    public init(
        seed: UInt64 = 1,
        instagramAccounts: Int = 2,
        tiktokAccounts: Int = 2,
        postsPerAccount: Int = 30,
        tiktokClientKey: String = "sim-client-key",
        tiktokClientSecret: String = "sim-client-secret",
        instagramAppSecret: String = "sim-app-secret",
        instagramTokenLifetime: TimeInterval = 60 * 86_400,
        tiktokAccessTokenLifetime: TimeInterval = 2 * 3_600,
        tiktokRefreshTokenLifetime: TimeInterval = 180 * 86_400,
        pageSizeDefault: Int = 25,
        instagramCallsPerHourBudget: Int = 2_000,
        tiktokRequestsPerMinute: Int = 600,
        webhookURL: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.seed = seed
        self.instagramAccounts = instagramAccounts
        self.tiktokAccounts = tiktokAccounts
        self.postsPerAccount = postsPerAccount
        self.tiktokClientKey = tiktokClientKey
        self.tiktokClientSecret = tiktokClientSecret
        self.instagramAppSecret = instagramAppSecret
        self.instagramTokenLifetime = instagramTokenLifetime
        self.tiktokAccessTokenLifetime = tiktokAccessTokenLifetime
        self.tiktokRefreshTokenLifetime = tiktokRefreshTokenLifetime
        self.pageSizeDefault = pageSizeDefault
        self.instagramCallsPerHourBudget = instagramCallsPerHourBudget
        self.tiktokRequestsPerMinute = tiktokRequestsPerMinute
        self.webhookURL = webhookURL
        self.now = now
    }
}
