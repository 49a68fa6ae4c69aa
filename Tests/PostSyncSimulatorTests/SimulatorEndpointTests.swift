import Foundation
import Testing

@testable import PostSyncSimulator

/// The documented shapes of the platform endpoints, driven through `SimulatorWorld.handle(_:)`.
@Suite struct SimulatorEndpointTests {
    /// Following absolute `paging.next` URLs visits every post once, newest first.
    @Test func instagramPagesFollowNextLinks() async throws {
        let clock = ManualClock()
        let world = makeWorld(clock: clock)
        let accounts = await world.accounts()
        let account = try #require(accounts.first)
        var target: String? =
            "/v25.0/\(account.externalId)/media?fields=id,caption,like_count,timestamp&limit=7"
            + "&access_token=\(account.accessToken)"
        var ids: [String] = []
        var pages = 0
        while let current = target {
            let response = await world.handle(SimulatorHTTPRequest(method: "GET", target: current, host: "127.0.0.1:9999"))
            #expect(response.status == 200)
            #expect(response.headers[InstagramResponses.usageHeader] != nil)
            let body = try jsonObject(response)
            let data = try #require(body["data"] as? [[String: Any]])
            ids += data.compactMap { $0["id"] as? String }
            let next = (body["paging"] as? [String: Any])?["next"] as? String
            target = next.map { String($0.dropFirst("http://127.0.0.1:9999".count)) }
            pages += 1
        }
        let posts = await world.posts(platform: "instagram", externalId: account.externalId)
        #expect(ids == posts.map(\.id))
        #expect(pages == 5)
    }

    /// Only requested fields appear; `like_count` is absent when likes are hidden; `+0000` timestamps.
    @Test func instagramMediaOmitsHiddenLikesAndFormatsTimestamps() async throws {
        let world = makeWorld(clock: ManualClock())
        let accounts = await world.accounts()
        let account = try #require(accounts.first)
        let response = await world.handle(
            SimulatorHTTPRequest(
                method: "GET",
                target: "/v25.0/me/media?fields=id,like_count,timestamp&limit=100&access_token=\(account.accessToken)"
            ))
        let data = try #require(try jsonObject(response)["data"] as? [[String: Any]])
        let posts = await world.posts(platform: "instagram", externalId: account.externalId)
        for (item, post) in zip(data, posts) {
            let hasLikes = item.keys.contains("like_count")
            #expect(hasLikes != post.hideLikes)
            #expect(!item.keys.contains("caption"))
            #expect((item["timestamp"] as? String)?.hasSuffix("+0000") == true)
        }
    }

    /// Insights equal the post's metrics; `impressions` is a code 100 error.
    @Test func insightsMatchThePostAndRejectDeprecatedMetrics() async throws {
        let world = makeWorld(clock: ManualClock())
        let accounts = await world.accounts()
        let account = try #require(accounts.first)
        let posts = await world.posts(platform: "instagram", externalId: account.externalId)
        let post = try #require(posts.first)
        let ok = await world.handle(
            SimulatorHTTPRequest(
                method: "GET",
                target: "/v22.0/\(post.id)/insights?metric=views,reach,saved,shares&access_token=\(account.accessToken)"
            ))
        let entries = try #require(try jsonObject(ok)["data"] as? [[String: Any]])
        let values = entries.map { (($0["values"] as? [[String: Any]])?.first?["value"] as? Int) ?? -1 }
        #expect(values == [post.views, post.reach, post.saves, post.shares])
        #expect(entries.first?["id"] as? String == "\(post.id)/insights/views/lifetime")

        let deprecated = await world.handle(
            SimulatorHTTPRequest(
                method: "GET", target: "/v22.0/\(post.id)/insights?metric=impressions&access_token=\(account.accessToken)"
            ))
        #expect(deprecated.status == 400)
        #expect((try jsonObject(deprecated)["error"] as? [String: Any])?["code"] as? Int == 100)
    }

    /// After an Instagram refresh both tokens work; too-young and Facebook Login tokens are refused.
    @Test func instagramRefreshKeepsTheOldTokenAlive() async throws {
        let world = makeWorld(clock: ManualClock())
        let accounts = await world.accounts()
        let instagramLogin = accounts[0]
        let refreshed = await world.handle(
            SimulatorHTTPRequest(
                method: "GET",
                target: "/refresh_access_token?grant_type=ig_refresh_token&access_token=\(instagramLogin.accessToken)"
            ))
        #expect(refreshed.status == 200)
        let body = try jsonObject(refreshed)
        let newToken = try #require(body["access_token"] as? String)
        #expect(body["expires_in"] as? Int == 5_184_000)
        #expect(body["token_type"] as? String == "bearer")
        for token in [instagramLogin.accessToken, newToken] {
            let media = await world.handle(
                SimulatorHTTPRequest(
                    method: "GET", target: "/v25.0/\(instagramLogin.externalId)/media?access_token=\(token)"
                ))
            #expect(media.status == 200)
        }
        // The new token is too young to be refreshed again; Facebook Login tokens are never refreshable.
        let tooNew = await world.handle(
            SimulatorHTTPRequest(
                method: "GET", target: "/refresh_access_token?grant_type=ig_refresh_token&access_token=\(newToken)"
            ))
        #expect(tooNew.status == 400)
        let facebook = await world.handle(
            SimulatorHTTPRequest(
                method: "GET", target: "/refresh_access_token?grant_type=ig_refresh_token&access_token=\(accounts[1].accessToken)"
            ))
        #expect(facebook.status == 400)
    }

    /// The list cursor is the last video's `create_time × 1000` and paging reaches every video.
    @Test func tiktokListPagesByMillisecondCursor() async throws {
        let world = makeWorld(clock: ManualClock())
        let accounts = await world.accounts()
        let account = try #require(accounts.first(where: { $0.platform == "tiktok" }))
        var cursor: Int?
        var ids: [String] = []
        var hasMore = true
        while hasMore {
            let body = cursor.map { "{\"max_count\":8,\"cursor\":\($0)}" } ?? "{\"max_count\":8}"
            let answer = await world.handle(tiktokListRequest(account.accessToken, body: body))
            let page = try jsonObject(answer)
            let data = try #require(page["data"] as? [String: Any])
            let videos = try #require(data["videos"] as? [[String: Any]])
            ids += videos.compactMap { $0["id"] as? String }
            if let last = videos.last {
                let expected = (last["create_time"] as? Int ?? 0) * 1_000
                #expect(data["cursor"] as? Int == expected)
            }
            cursor = data["cursor"] as? Int
            hasMore = data["has_more"] as? Bool ?? false
        }
        let posts = await world.posts(platform: "tiktok", externalId: account.externalId)
        #expect(ids == posts.map(\.id))
        let tooMany = await world.handle(tiktokListRequest(account.accessToken, body: "{\"max_count\":21}"))
        #expect(tooMany.status == 400)
    }
}
