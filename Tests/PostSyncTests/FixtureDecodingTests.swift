import Foundation
import Testing

@testable import PostSync

/// The recorded platform responses in ../shared/fixtures (see SOURCES.md there).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    static func data(_ path: String) throws -> Data {
        try Data(contentsOf: root.appendingPathComponent(path))
    }

    static let facebook = "instagram/python-facebook/testdata/"
    static let airbyte = "instagram/airbyte-source-instagram/unit_tests/resource/http/response/"
}

@Suite struct InstagramFixtureTests {
    /// Should decode a recorded Facebook Login /media page, with paging.next, and map it to posts.
    @Test func mediaPageWithNext() throws {
        let page = try JSONDecoder().decode(
            GraphMediaPage.self, from: Fixtures.data(Fixtures.facebook + "instagram/apidata/users/medias_p1.json"))
        #expect(page.data.count == 2)
        #expect(page.paging?.next?.hasPrefix("https://graph.facebook.com/v6.0/17841406338772941/media?") == true)
        let post = InstagramClient.post(from: page.data[1])
        #expect(post.postID == "17896622936197745")
        #expect(post.metrics.likeCount == 2)
        #expect(post.metrics.commentCount == 6)
        #expect(post.mediaType == "IMAGE")
        #expect(post.permalink == "https://www.instagram.com/p/CSgdWACBeKr/")
        // "2021-08-13T08:02:40+0000": an offset without a colon.
        #expect(post.publishedAt == Date(timeIntervalSince1970: 1_628_841_760))
        #expect(post.metrics.viewCount == nil, "no insights read: views stay unknown")
    }

    /// Should decode the last page (a carousel with children, no next).
    @Test func lastPage() throws {
        let page = try JSONDecoder().decode(
            GraphMediaPage.self, from: Fixtures.data(Fixtures.facebook + "instagram/apidata/users/medias_p2.json"))
        #expect(page.paging?.next == nil)
        #expect(!page.data.isEmpty)
        #expect(page.data.contains { $0.mediaType == "CAROUSEL_ALBUM" })
    }

    /// Should decode the graph.instagram.com flavour pages, captions included.
    @Test func instagramLoginPages() throws {
        let p1 = try JSONDecoder().decode(
            GraphMediaPage.self, from: Fixtures.data(Fixtures.facebook + "instagram_basic/apidata/user/user_medias_p1.json"))
        let first = InstagramClient.post(from: p1.data[0])
        #expect(first.caption == "Cute.. #cute #loveyou  @ikroskun")
        #expect(first.publishedAt != nil)
        #expect(first.metrics.likeCount == nil, "like_count not returned: NULL, never 0")
        let p2 = try JSONDecoder().decode(
            GraphMediaPage.self, from: Fixtures.data(Fixtures.facebook + "instagram_basic/apidata/user/user_medias_p2.json"))
        #expect(p2.paging?.next == nil)
    }

    /// Should read insights values, float or int, preferring total_value.
    @Test func insights() throws {
        let classic = try JSONDecoder().decode(
            GraphInsights.self, from: Fixtures.data(Fixtures.facebook + "instagram/apidata/medias/insights.json"))
        let values = Dictionary(uniqueKeysWithValues: classic.data.map { ($0.name, $0.value) })
        #expect(values["reach"] == 5)
        #expect(values["saved"] == 0)
        let new = try JSONDecoder().decode(
            GraphInsights.self, from: Fixtures.data(Fixtures.facebook + "instagram/apidata/medias/insights_new.json"))
        #expect(new.data.first?.value != nil)
        for file in [
            "media_insights_for_general_media.json", "media_insights_for_reels.json",
            "story_insights_for_story_insights_happy_path.json",
        ] {
            let decoded = try JSONDecoder().decode(GraphInsights.self, from: Fixtures.data(Fixtures.airbyte + file))
            #expect(!decoded.data.isEmpty, "\(file)")
        }
    }

    /// Should classify Meta's recorded error bodies by code and subcode.
    @Test func errors() throws {
        let before = try JSONDecoder().decode(
            GraphErrorEnvelope.self,
            from: Fixtures.data(Fixtures.airbyte + "media_insights_for_error_posted_before_business.json"))
        #expect(before.error.code == 100 && before.error.errorSubcode == 2_108_006)
        guard case .unavailable = GraphErrorClassifier.classify(before.error, status: 400, retryAfter: nil) else {
            Issue.record("media posted before business conversion is permanent for that media")
            return
        }
        let permission = try JSONDecoder().decode(
            GraphErrorEnvelope.self,
            from: Fixtures.data(Fixtures.airbyte + "media_insights_for_error_with_wrong_permissions_code_10.json"))
        #expect(permission.error.code == 10)
        let generic = try JSONDecoder().decode(
            GraphErrorEnvelope.self, from: Fixtures.data(Fixtures.facebook + "base/error_data.json"))
        guard case .api = GraphErrorClassifier.classify(generic.error, status: 400, retryAfter: nil) else {
            Issue.record("code 100 is a permanent request error")
            return
        }
        guard case .metricUnsupported = GraphErrorClassifier.classify(generic.error, status: 400, retryAfter: nil, insights: true)
        else {
            Issue.record("code 100 on an insights request: a metric does not apply to the media (never dead auth)")
            return
        }
        let dead = GraphError(message: "Error validating access token", type: "OAuthException", code: 190, errorSubcode: 463)
        guard case .deadAuth = GraphErrorClassifier.classify(dead, status: 400, retryAfter: nil) else {
            Issue.record("190 is dead auth")
            return
        }
        for code in [4, 17, 32, 613, 80002] {
            let throttled = GraphError(message: "limit", type: "OAuthException", code: code)
            guard case .rateLimited = GraphErrorClassifier.classify(throttled, status: 400, retryAfter: nil) else {
                Issue.record("\(code) is a throttling code")
                return
            }
        }
    }

    /// Should read the recorded X-Business-Use-Case-Usage header, regain time in minutes.
    @Test func usageHeader() throws {
        let headers =
            try JSONSerialization.jsonObject(with: Fixtures.data(Fixtures.facebook + "instagram/headers.json"))
            as? [String: String]
        let report = MetaUsageReport.parse(appUsage: nil, businessUseCaseUsage: headers?["x-business-use-case-usage"])
        #expect(report.businessPercent == 72)
        #expect(report.regainAfter == .seconds(20 * 60))
        let app = MetaUsageReport.parse(
            appUsage: #"{"call_count":28,"total_time":25,"total_cputime":91}"#, businessUseCaseUsage: nil)
        #expect(app.appPercent == 91)
        #expect(MetaUsageReport.parse(appUsage: "garbage", businessUseCaseUsage: "{").appPercent == nil)
    }

    /// Should decode the recorded long-lived token answer.
    @Test func tokenAnswer() throws {
        let answer = try JSONDecoder().decode(
            GraphTokenAnswer.self, from: Fixtures.data(Fixtures.facebook + "base/long_term_token.json"))
        #expect(answer.accessToken == "token")
        #expect(answer.expiresIn?.value == 5_184_000)
    }
}

@Suite struct TikTokFixtureTests {
    /// Should decode the recorded user info success envelope.
    @Test func userInfo() throws {
        let envelope = try JSONDecoder().decode(
            TikTokEnvelope<TikTokUserInfo>.self, from: Fixtures.data("tiktok/user_info__full.json"))
        #expect(envelope.error.code == "ok")
        #expect(envelope.data?.user.openId == "_000fwZ23Mw4RY9cB4lDQyKCgQg4Ft6SyTuE")
        #expect(envelope.data?.user.displayName == "122755990")
    }

    /// Should decode error envelopes with `data: {}` and with no data at all.
    @Test func errorEnvelopes() throws {
        let invalid = try JSONDecoder().decode(
            TikTokEnvelope<TikTokVideoPage>.self, from: Fixtures.data("tiktok/user_info__err__access_token_invalid.json"))
        #expect(invalid.error.code == "access_token_invalid")
        #expect(invalid.data == nil)
        let spam = try JSONDecoder().decode(
            TikTokEnvelope<TikTokVideoPage>.self,
            from: Fixtures.data("tiktok/video_upload_init__err__spam_risk_too_many_pending_share.json"))
        #expect(spam.error.code == "spam_risk_too_many_pending_share")
    }

    /// Should decode the documented video list example (fixed copy from tiktok-shapes.md) and map it.
    @Test func videoList() throws {
        let json =
            #"{"data":{"videos":[{"id":"7080213458555737986","title":"video 1","video_description":"Test video 1","duration":2,"share_url":"https://www.tiktok.com/@user_id/video/7080213458555737986?utm_campaign=tt4d_open_api&utm_source=awbx37vxswqcvsf6"},{"id":"7080217258545735586","title":"video 2","video_description":"","duration":3}],"cursor":1646883959000,"has_more":true},"error":{"code":"ok","message":"","log_id":"20220829194722CBE87ED59D524E727021"}}"#
        let envelope = try JSONDecoder().decode(TikTokEnvelope<TikTokVideoPage>.self, from: Data(json.utf8))
        #expect(envelope.data?.cursor == 1_646_883_959_000)
        #expect(envelope.data?.hasMore == true)
        let posts = (envelope.data?.videos ?? []).map(TikTokClient.post(from:))
        #expect(posts[0].caption == "Test video 1")
        #expect(posts[1].caption == "video 2", "an empty description falls back to the title")
        #expect(posts[0].mediaType == "VIDEO")
        #expect(posts[0].metrics.likeCount == nil)
    }

    /// Should decode both OAuth answers: a token pair and the string-typed error.
    @Test func oauthAnswers() throws {
        let ok =
            #"{"access_token":"act.example12345Example12345Example","expires_in":86400,"open_id":"asdf-12345c-1a2s3d-ac98-asdf123as12as34","refresh_expires_in":31536000,"refresh_token":"rft.example12345Example12345Example","scope":"user.info.basic,video.list","token_type":"Bearer"}"#
        let token = try JSONDecoder().decode(TikTokTokenAnswer.self, from: Data(ok.utf8))
        #expect(token.refreshToken == "rft.example12345Example12345Example")
        #expect(token.expiresIn == 86_400)
        let failure =
            #"{"error":"invalid_request","error_description":"The request parameters are malformed.","log_id":"202206221854370101130062072500FFA2"}"#
        let error = try JSONDecoder().decode(TikTokTokenAnswer.self, from: Data(failure.utf8))
        #expect(error.error == "invalid_request")
        #expect(error.accessToken == nil)
    }
}
