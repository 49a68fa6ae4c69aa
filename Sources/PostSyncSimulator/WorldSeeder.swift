import Foundation

/// Builds the initial state of a world from the configuration's seed.
enum WorldSeeder {
    /// Everything a new world starts with.
    struct Seeded: Sendable {
        /// Accounts, Instagram first.
        var accounts: [SimulatedAccount] = []
        /// Profiles by account key.
        var profiles: [String: AccountProfile] = [:]
        /// Posts by account key, newest first.
        var posts: [String: [SimulatedPost]] = [:]
        /// Issued Instagram tokens.
        var instagramTokens: [String: InstagramToken] = [:]
        /// Issued TikTok access tokens.
        var tiktokAccessTokens: [String: TikTokAccessToken] = [:]
        /// Issued TikTok refresh tokens.
        var tiktokRefreshTokens: [String: TikTokRefreshToken] = [:]
        /// Next free post number.
        var nextSerial = 1
    }

    /// How far back generated posts go: past a 30-day lookback, so some posts are "old".
    static let historySeconds = 90 * 86_400

    /// Generates accounts, profiles, tokens and posts; the same seed and `now` give the same world.
    static func seed(_ configuration: SimulatorConfiguration, now: Date, rng: inout SeededGenerator) -> Seeded {
        var world = Seeded()
        for index in 0..<max(0, configuration.instagramAccounts) {
            addInstagram(index: index, login: index % 2 == 0 ? "instagram" : "facebook", to: &world, configuration, now, &rng)
        }
        for index in 0..<max(0, configuration.tiktokAccounts) {
            addTikTok(index: index, to: &world, configuration, now, &rng)
        }
        return world
    }

    /// One more account, as a user who connects it for the first time has it (ids continue
    /// after `index` accounts of the platform; posts are numbered from `nextSerial`).
    static func one(
        platform: String, login: String?, index: Int, nextSerial: Int, _ configuration: SimulatorConfiguration, now: Date,
        rng: inout SeededGenerator
    ) -> Seeded {
        var world = Seeded()
        world.nextSerial = nextSerial
        if platform == "instagram" {
            addInstagram(index: index, login: login ?? "instagram", to: &world, configuration, now, &rng)
        } else {
            addTikTok(index: index, to: &world, configuration, now, &rng)
        }
        return world
    }

    private static func addInstagram(
        index: Int, login: String, to world: inout Seeded, _ configuration: SimulatorConfiguration, _ now: Date,
        _ rng: inout SeededGenerator
    ) {
        let externalId = "1784140" + PlatformTime.pad(index + 1, 10)
        let (username, profile) = makeProfile(separator: "_", index: index, unionId: "", rng: &rng)
        // Instagram Login tokens start with IGAA, Facebook Login (user or Page) tokens with EAA.
        let token = (login == "instagram" ? "IGAA" : "EAAB") + rng.hex(96)
        let issuedAt = now.addingTimeInterval(-TimeInterval(rng.int(in: 2...20) * 86_400 + rng.int(in: 0...86_399)))
        let expiresAt = issuedAt.addingTimeInterval(configuration.instagramTokenLifetime)
        let account = SimulatedAccount(
            platform: "instagram", externalId: externalId, username: username, login: login,
            accessToken: token, refreshToken: nil, expiresAt: expiresAt, refreshExpiresAt: nil, issuedAt: issuedAt
        )
        world.instagramTokens[token] = InstagramToken(
            accountKey: account.key, issuedAt: issuedAt, expiresAt: expiresAt, revoked: false)
        add(account, profile: profile, to: &world, configuration: configuration, now: now, rng: &rng)
    }

    private static func addTikTok(
        index: Int, to world: inout Seeded, _ configuration: SimulatorConfiguration, _ now: Date, _ rng: inout SeededGenerator
    ) {
        let externalId = "sim-open-" + PlatformTime.pad(index + 1, 4)
        let unionId = "sim-union-" + PlatformTime.pad(index + 1, 4)
        let (username, profile) = makeProfile(separator: ".", index: index, unionId: unionId, rng: &rng)
        let accessToken = "act." + rng.hex(56)
        let refreshToken = "rft." + rng.hex(56)
        let expiresAt = now.addingTimeInterval(configuration.tiktokAccessTokenLifetime)
        let refreshExpiresAt = now.addingTimeInterval(configuration.tiktokRefreshTokenLifetime)
        let account = SimulatedAccount(
            platform: "tiktok", externalId: externalId, username: username, login: nil,
            accessToken: accessToken, refreshToken: refreshToken, expiresAt: expiresAt,
            refreshExpiresAt: refreshExpiresAt, issuedAt: now
        )
        world.tiktokAccessTokens[accessToken] = TikTokAccessToken(accountKey: account.key, expiresAt: expiresAt, valid: true)
        world.tiktokRefreshTokens[refreshToken] = TikTokRefreshToken(
            accountKey: account.key, grantExpiresAt: refreshExpiresAt, valid: true
        )
        add(account, profile: profile, to: &world, configuration: configuration, now: now, rng: &rng)
    }

    private static func add(
        _ account: SimulatedAccount,
        profile: AccountProfile,
        to world: inout Seeded,
        configuration: SimulatorConfiguration,
        now: Date,
        rng: inout SeededGenerator
    ) {
        world.accounts.append(account)
        world.profiles[account.key] = profile
        // Distinct ages in whole seconds, so no two posts of an account share a second (TikTok's
        // millisecond cursor is derived from the second and would otherwise be ambiguous).
        var ages = Set<Int>()
        while ages.count < max(0, configuration.postsPerAccount) {
            ages.insert(rng.int(in: 600...historySeconds))
        }
        let owner = PostFactory.Owner(
            platform: account.platform, username: account.username, clientKey: configuration.tiktokClientKey)
        var posts: [SimulatedPost] = []
        for age in ages.sorted() {
            let post = PostFactory.make(
                owner: owner, serial: world.nextSerial, publishedAt: now.addingTimeInterval(-TimeInterval(age)),
                withMetrics: true, rng: &rng
            )
            world.nextSerial += 1
            posts.append(post)
        }
        world.posts[account.key] = posts
    }

    private static func makeProfile(
        separator: String,
        index: Int,
        unionId: String,
        rng: inout SeededGenerator
    ) -> (String, AccountProfile) {
        let adjectives = ["sunny", "urban", "quiet", "bold", "wild", "golden", "little", "misty"]
        let nouns = ["kitchen", "atelier", "trails", "studio", "garden", "bakery", "lens", "workshop"]
        let adjective = rng.pick(adjectives)
        let noun = rng.pick(nouns)
        let username = "\(adjective)\(separator)\(noun)\(index + 1)"
        let profile = AccountProfile(
            displayName: "\(adjective.capitalized) \(noun.capitalized)",
            biography: "Simulated \(noun) account #\(index + 1)",
            followers: rng.int(in: 120...250_000),
            following: rng.int(in: 10...2_000),
            avatarHex: rng.hex(32),
            unionId: unionId
        )
        return (username, profile)
    }
}
