import Foundation

/// Generates posts and their metrics from the seeded generator.
enum PostFactory {
    /// What `make` needs to know about the owner.
    struct Owner: Sendable {
        /// `"instagram"` or `"tiktok"`.
        var platform: String
        /// Username (TikTok share URLs contain it).
        var username: String
        /// TikTok client key (the `utm_source` of share URLs).
        var clientKey: String
    }

    /// Builds one post.
    /// - Parameters:
    ///   - owner: The owning account.
    ///   - serial: World-unique number that makes the id unique.
    ///   - publishedAt: Publication time (whole seconds).
    ///   - withMetrics: False for a post published just now, which starts at zero.
    ///   - rng: The world's data generator.
    static func make(
        owner: Owner,
        serial: Int,
        publishedAt: Date,
        withMetrics: Bool,
        rng: inout SeededGenerator
    ) -> SimulatedPost {
        let caption = makeCaption(rng: &rng)
        if owner.platform == "tiktok" {
            // 19 digits that start with the creation time, like real TikTok item ids.
            let id = "7" + PlatformTime.pad(PlatformTime.unixSeconds(publishedAt), 10) + PlatformTime.pad(serial % 100_000_000, 8)
            let shareURL =
                "https://www.tiktok.com/@\(owner.username)/video/\(id)"
                + "?utm_campaign=tt4d_open_api&utm_source=\(owner.clientKey)"
            var post = SimulatedPost(
                id: id, caption: caption, mediaType: "VIDEO", productType: "FEED", permalink: shareURL,
                publishedAt: publishedAt, likes: 0, comments: 0, views: 0, shares: 0, saves: 0, reach: 0, hideLikes: false
            )
            if withMetrics { fillMetrics(&post, rng: &rng) }
            return post
        }
        let mediaType = rng.pick([
            "IMAGE", "IMAGE", "IMAGE", "IMAGE", "VIDEO", "VIDEO", "VIDEO", "CAROUSEL_ALBUM", "CAROUSEL_ALBUM",
        ])
        let productType = mediaType == "VIDEO" ? "REELS" : "FEED"
        let shortcode = rng.pick(["C", "D"]) + rng.base64URL(10)
        let permalink = "https://www.instagram.com/\(productType == "REELS" ? "reel" : "p")/\(shortcode)/"
        let id = "18" + PlatformTime.pad(serial % 1_000_000, 6) + PlatformTime.pad(rng.int(in: 0...999_999_999), 9)
        var post = SimulatedPost(
            id: id, caption: caption, mediaType: mediaType, productType: productType, permalink: permalink,
            publishedAt: publishedAt, likes: 0, comments: 0, views: 0, shares: 0, saves: 0, reach: 0,
            hideLikes: rng.int(in: 0...7) == 0
        )
        if withMetrics { fillMetrics(&post, rng: &rng) }
        return post
    }

    /// Plausible, internally consistent metrics: reach ≤ views, likes a few % of views, and so on.
    static func fillMetrics(_ post: inout SimulatedPost, rng: inout SeededGenerator) {
        let views = rng.int(in: 300...40_000)
        let likes = views * rng.int(in: 2...12) / 100
        post.views = views
        post.reach = views * rng.int(in: 55...90) / 100
        post.likes = likes
        post.comments = likes * rng.int(in: 1...15) / 100
        post.shares = likes * rng.int(in: 0...25) / 100
        post.saves = likes * rng.int(in: 0...30) / 100
    }

    /// Captions include a newline, quotes and non-ASCII text now and then, so clients' JSON
    /// handling is exercised the way real captions exercise it.
    static func makeCaption(rng: inout SeededGenerator) -> String {
        let openers = ["Morning light", "Behind the scenes", "New drop", "Weekend mood", "Studio day", "Quick tip", "Throwback"]
        let topics = [
            "at the bakery", "in the workshop", "from the trail", "with the team", "on set", "for beginners", "in Lyon",
        ]
        let extras = ["", " ✨", " — thoughts?", " \"best one yet\"", "\n\nLink in bio", " café au lait"]
        let tags = ["#daily", "#craft", "#travel", "#food", "#howto", "#bts", "#reels"]
        return "\(rng.pick(openers)) \(rng.pick(topics))\(rng.pick(extras)) \(rng.pick(tags)) \(rng.pick(tags))"
    }
}
