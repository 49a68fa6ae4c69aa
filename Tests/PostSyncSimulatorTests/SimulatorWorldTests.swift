import Foundation
import Testing

@testable import PostSyncSimulator

/// The world's behaviour, driven without a socket through `SimulatorWorld.handle(_:)`.
@Suite struct SimulatorWorldTests {
    /// Two worlds with the same seed and clock are identical; another seed differs.
    @Test func sameSeedGivesTheSameWorld() async throws {
        let clock = ManualClock()
        let first = makeWorld(seed: 42, clock: clock)
        let second = makeWorld(seed: 42, clock: clock)
        let accounts = await first.accounts()
        let secondAccounts = await second.accounts()
        #expect(accounts == secondAccounts)
        #expect(accounts.count == 4)
        #expect(accounts.map(\.login) == ["instagram", "facebook", nil, nil])
        #expect(accounts[0].externalId == "17841400000000001")
        #expect(accounts[2].externalId == "sim-open-0001")
        for account in accounts {
            let posts = await first.posts(platform: account.platform, externalId: account.externalId)
            let secondPosts = await second.posts(platform: account.platform, externalId: account.externalId)
            #expect(posts == secondPosts)
            #expect(posts.count == 30)
            #expect(posts.map(\.publishedAt) == posts.map(\.publishedAt).sorted(by: >))
            // Some posts lie beyond a 30-day lookback, none beyond ~90 days.
            let ages = posts.map { clock.now().timeIntervalSince($0.publishedAt) }
            #expect(ages.contains(where: { $0 > 30 * 86_400 }))
            #expect(ages.allSatisfy({ $0 <= 90 * 86_400 }))
            #expect(posts.allSatisfy({ $0.reach <= $0.views }))
        }
        let otherAccounts = await makeWorld(seed: 43, clock: clock).accounts()
        #expect(accounts != otherAccounts)
    }

    /// `publishPost` puts a new zero-metric post first, one second apart under a frozen clock.
    @Test func publishedPostIsTheNewest() async throws {
        let clock = ManualClock()
        let world = makeWorld(clock: clock)
        let accounts = await world.accounts()
        let account = try #require(accounts.first(where: { $0.platform == "tiktok" }))
        let published = await world.publishPost(platform: "tiktok", externalId: account.externalId)
        let post = try #require(published)
        #expect(post.publishedAt == clock.now())
        #expect(post.likes == 0)
        var posts = await world.posts(platform: "tiktok", externalId: account.externalId)
        #expect(posts.first == post)
        #expect(posts.count == 31)
        // With the clock frozen, the next post is still strictly newer.
        let publishedAgain = await world.publishPost(platform: "tiktok", externalId: account.externalId)
        let next = try #require(publishedAgain)
        #expect(next.publishedAt == post.publishedAt.addingTimeInterval(1))
        posts = await world.posts(platform: "tiktok", externalId: account.externalId)
        #expect(posts.first == next)
        let nobody = await world.publishPost(platform: "tiktok", externalId: "nobody")
        #expect(nobody == nil)
    }

    /// A refresh kills the old refresh and access tokens and keeps the grant's deadline.
    @Test func tiktokRefreshRotatesStrictly() async throws {
        let clock = ManualClock()
        let world = makeWorld(clock: clock)
        let accounts = await world.accounts()
        let before = try #require(accounts.first(where: { $0.platform == "tiktok" }))
        let oldRefresh = try #require(before.refreshToken)
        clock.advance(by: 3_600)

        let refreshed = await world.handle(tiktokRefreshRequest(oldRefresh))
        #expect(refreshed.status == 200)
        let body = try jsonObject(refreshed)
        let newAccess = try #require(body["access_token"] as? String)
        let newRefresh = try #require(body["refresh_token"] as? String)
        #expect(newAccess.hasPrefix("act.") && newAccess != before.accessToken)
        #expect(newRefresh.hasPrefix("rft.") && newRefresh != oldRefresh)
        #expect(body["expires_in"] as? Int == 7_200)
        #expect(body["open_id"] as? String == before.externalId)
        // The grant's clock is not restarted: one hour of the 180 days has gone.
        #expect(body["refresh_expires_in"] as? Int == 180 * 86_400 - 3_600)

        let afterAccount = await world.account(platform: "tiktok", externalId: before.externalId)
        let after = try #require(afterAccount)
        #expect(after.accessToken == newAccess)
        #expect(after.refreshToken == newRefresh)
        #expect(after.refreshExpiresAt == before.refreshExpiresAt)

        // The old refresh token and the old access token stopped working at once.
        let replay = await world.handle(tiktokRefreshRequest(oldRefresh))
        #expect(try jsonObject(replay)["error"] as? String == "invalid_grant")
        let oldAccessAnswer = await world.handle(tiktokListRequest(before.accessToken))
        #expect(oldAccessAnswer.status == 401)
        let newAccessAnswer = await world.handle(tiktokListRequest(newAccess))
        #expect(newAccessAnswer.status == 200)

        let wrongSecret = await world.handle(tiktokRefreshRequest(newRefresh, secret: "nope"))
        #expect(try jsonObject(wrongSecret)["error"] as? String == "invalid_client")
        let tokenRequests = await world.requestCount(endpoint: "tiktok.oauth.token")
        #expect(tokenRequests == 3)
    }

    /// Expired Instagram tokens answer 190/463; TikTok tokens expire with time; revocation kills refresh.
    @Test func expiryAndRevocation() async throws {
        let clock = ManualClock()
        let world = makeWorld(clock: clock)
        let accounts = await world.accounts()
        let instagram = accounts[0]
        let tiktok = accounts[2]
        let media = SimulatorHTTPRequest(
            method: "GET", target: "/v25.0/\(instagram.externalId)/media?fields=id&access_token=\(instagram.accessToken)"
        )
        let fresh = await world.handle(media)
        #expect(fresh.status == 200)

        await world.expireAccessToken(platform: "instagram", externalId: instagram.externalId)
        let expired = await world.handle(media)
        #expect(expired.status == 400)
        let error = try #require(try jsonObject(expired)["error"] as? [String: Any])
        #expect(error["code"] as? Int == 190)
        #expect(error["error_subcode"] as? Int == 463)

        // TikTok: the access token expires with time, the refresh token still works.
        clock.advance(by: 2 * 3_600 + 1)
        let stale = await world.handle(tiktokListRequest(tiktok.accessToken))
        #expect(stale.status == 401)
        let refresh = try #require(tiktok.refreshToken)
        let refreshed = await world.handle(tiktokRefreshRequest(refresh))
        #expect(refreshed.status == 200)

        // Revocation kills the refresh token too.
        let currentAccount = await world.account(platform: "tiktok", externalId: tiktok.externalId)
        let current = try #require(currentAccount)
        await world.revokeToken(platform: "tiktok", externalId: tiktok.externalId)
        let revoked = await world.handle(tiktokListRequest(current.accessToken))
        #expect(revoked.status == 401)
        let currentRefresh = try #require(current.refreshToken)
        let dead = await world.handle(tiktokRefreshRequest(currentRefresh))
        #expect(try jsonObject(dead)["error"] as? String == "invalid_grant")
    }

    /// The per-endpoint window answers 429 beyond the limit and recovers after a minute.
    @Test func tiktokSlidingWindowLimit() async throws {
        let clock = ManualClock()
        let world = makeWorld(clock: clock, tiktokRequestsPerMinute: 3)
        let accounts = await world.accounts()
        let token = try #require(accounts.first(where: { $0.platform == "tiktok" })).accessToken
        for _ in 0..<3 {
            let answer = await world.handle(tiktokListRequest(token))
            #expect(answer.status == 200)
        }
        let limited = await world.handle(tiktokListRequest(token))
        #expect(limited.status == 429)
        #expect((try jsonObject(limited)["error"] as? [String: Any])?["code"] as? String == "rate_limit_exceeded")
        let overLimit = await world.overLimitCount()
        #expect(overLimit == 1)
        clock.advance(by: 61)
        let later = await world.handle(tiktokListRequest(token))
        #expect(later.status == 200)
    }

    /// Error, latency and malformed-body faults, exact and wildcard, and clearing them.
    @Test func faultsAreInjected() async throws {
        let world = makeWorld(clock: ManualClock())
        let accounts = await world.accounts()
        let token = try #require(accounts.first(where: { $0.platform == "tiktok" })).accessToken
        await world.setFault(SimulatorFault(errorRate: 1, latencyMs: 25), endpoint: "tiktok.video.list")
        let failed = await world.handle(tiktokListRequest(token))
        #expect(failed.status == 500)
        #expect(failed.delayMs == 25)
        await world.setFault(SimulatorFault(malformedRate: 1), endpoint: "tiktok.*")
        await world.setFault(nil, endpoint: "tiktok.video.list")
        let malformed = await world.handle(tiktokListRequest(token))
        #expect(malformed.status == 200)
        let parses = (try? JSONSerialization.jsonObject(with: malformed.body)) != nil
        #expect(!parses)
        await world.setFault(nil, endpoint: "tiktok.*")
        let healthy = await world.handle(tiktokListRequest(token))
        #expect(healthy.status == 200)
    }

    /// `/_sim/accounts` decodes back to the same accounts; admin calls are not logged.
    @Test func adminAccountsRoundTrip() async throws {
        let world = makeWorld(clock: ManualClock())
        let response = await world.handle(SimulatorHTTPRequest(method: "GET", target: "/_sim/accounts"))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode([SimulatedAccount].self, from: response.body)
        let accounts = await world.accounts()
        #expect(decoded == accounts)
        // Admin requests are not part of the platform request log.
        let logged = await world.requestCount()
        #expect(logged == 0)
        let published = await world.handle(
            SimulatorHTTPRequest(method: "POST", target: "/_sim/publish?account=tiktok:sim-open-0001"))
        let post = try decoder.decode(SimulatedPost.self, from: published.body)
        let newest = await world.posts(platform: "tiktok", externalId: "sim-open-0001").first
        #expect(newest == post)
    }

    /// Path matching for both platforms and the admin API.
    @Test func routesMatchBothPlatforms() {
        #expect(SimulatorRoute.match(method: "GET", path: "/v25.0/178/media") == .instagramMedia(userId: "178"))
        #expect(SimulatorRoute.match(method: "GET", path: "/178/insights") == .instagramInsights(mediaId: "178"))
        #expect(SimulatorRoute.match(method: "GET", path: "/refresh_access_token") == .instagramRefresh)
        #expect(SimulatorRoute.match(method: "POST", path: "/v2/video/list/") == .tiktokVideoList)
        #expect(SimulatorRoute.match(method: "POST", path: "/v2/video/query") == .tiktokVideoQuery)
        #expect(SimulatorRoute.match(method: "GET", path: "/v2/user/info/") == .tiktokUserInfo)
        #expect(SimulatorRoute.match(method: "POST", path: "/v2/oauth/token/") == .tiktokOAuthToken)
        #expect(SimulatorRoute.match(method: "GET", path: "/v2/video/list/") == .notFound)
        #expect(SimulatorRoute.match(method: "PUT", path: "/_sim/fault") == .admin(action: "fault"))
    }
}
