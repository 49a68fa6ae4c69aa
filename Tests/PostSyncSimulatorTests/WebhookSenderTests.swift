import AsyncHTTPClient
import Foundation
import Testing

@testable import PostSyncSimulator

/// The webhooks the simulator sends: documented shapes, and signatures checked by Python's `hmac`
/// so that neither the simulator nor the daemon is its own oracle.
@Suite struct WebhookSenderTests {
    /// The fixed delivery time of these tests.
    static let time = Date(timeIntervalSince1970: 1_700_000_000)

    /// A sender with the simulator's default secrets and a fixed clock (it never connects here).
    static func sender(url: String = "http://127.0.0.1:9/") -> WebhookSender {
        WebhookSender(
            webhookURL: url, appSecret: "sim-app-secret", tiktokClientSecret: "sim-client-secret",
            tiktokClientKey: "sim-client-key", httpClient: .shared, now: { time })
    }

    /// Should build the Meta envelope with one `comments` change per account id, as documented.
    @Test func instagramBodyHasTheDocumentedShape() throws {
        let sender = Self.sender()
        let body = sender.instagramBody(
            accountIDs: ["17841400000000001", "17841400000000002"], mediaID: "17900000000000042", time: Self.time)
        let text = String(decoding: body, as: UTF8.self)
        #expect(
            text.hasPrefix(
                #"{"object":"instagram","entry":[{"id":"17841400000000001","time":1700000000,"changes":[{"field":"comments","value":{"id":"178"#
            ))
        #expect(text.hasSuffix(#"","text":"Nice post!","media":{"id":"17900000000000042"}}}]}]}"#))
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let entries = try #require(object["entry"] as? [[String: Any]])
        #expect(entries.map { $0["id"] as? String } == ["17841400000000001", "17841400000000002"])
        for entry in entries {
            let changes = try #require(entry["changes"] as? [[String: Any]])
            let value = try #require(changes.first?["value"] as? [String: Any])
            let commentID = try #require(value["id"] as? String)
            #expect(commentID.count == 17 && commentID.allSatisfy(\.isNumber))
            #expect((value["media"] as? [String: Any])?["id"] as? String == "17900000000000042")
        }
        // Equal inputs give identical bytes, which is what a redelivery looks like.
        #expect(
            sender.instagramBody(
                accountIDs: ["17841400000000001", "17841400000000002"], mediaID: "17900000000000042", time: Self.time) == body)
        let mentions = sender.instagramBody(accountIDs: ["1"], field: "mentions", mediaID: "2", time: Self.time)
        #expect(
            String(decoding: mentions, as: UTF8.self)
                == #"{"object":"instagram","entry":[{"id":"1","time":1700000000,"changes":[{"field":"mentions","value":{"media_id":"2"}}]}]}"#
        )
    }

    /// Should build the TikTok envelope with `content` as a JSON string, and omit a nil `user_openid`.
    @Test func tiktokBodyHasTheDocumentedShape() throws {
        let sender = Self.sender()
        let body = sender.tiktokBody(
            openID: "sim-open-0001", event: "authorization.removed", content: #"{"reason":1}"#, createTime: Self.time)
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"client_key":"sim-client-key","event":"authorization.removed","create_time":1700000000,"user_openid":"sim-open-0001","content":"{\"reason\":1}"}"#
        )
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let content = try #require(object["content"] as? String)
        let inner = try #require(try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any])
        #expect(inner["reason"] as? Int == 1)
        let portability = sender.tiktokBody(
            openID: nil, event: "portability.download.ready", content: "{}", createTime: Self.time)
        #expect(!String(decoding: portability, as: UTF8.self).contains("user_openid"))
    }

    /// Should produce headers whose HMACs equal Python's `hmac` over the raw body (and `t + "." + body`).
    @Test func signaturesMatchAnIndependentHMAC() throws {
        let sender = Self.sender()
        let igBody = sender.instagramBody(accountIDs: ["17841400000000001"], mediaID: "1/2", time: Self.time)
        #expect(String(decoding: igBody, as: UTF8.self).contains(#""1\/2""#))
        let igHex = try PythonHMAC.hex(key: "sim-app-secret", message: igBody)
        #expect(sender.instagramSignature(body: igBody) == "sha256=\(igHex)")

        let ttBody = sender.tiktokBody(
            openID: "sim-open-0001", event: "post.publish.publicly_available",
            content: WebhookDelivery.tiktokContent(event: "post.publish.publicly_available", postId: "7"),
            createTime: Self.time)
        let ttHex = try PythonHMAC.hex(key: "sim-client-secret", message: Data("1700000000.".utf8) + ttBody)
        #expect(sender.tiktokSignature(body: ttBody, timestamp: 1_700_000_000) == "t=1700000000,s=\(ttHex)")
    }

    /// Should map world events to what the platform would send, and nothing where it sends nothing.
    @Test func eventsMapToRealisticDeliveries() {
        func event(_ kind: String, _ platform: String, post: String? = "P", detail: String? = nil) -> SimulatorEvent {
            SimulatorEvent(kind: kind, platform: platform, externalId: "A", postId: post, at: Self.time, detail: detail)
        }
        #expect(
            WebhookDelivery.forEvent(event("post.published", "instagram"))
                == .instagram(accountID: "A", field: "comments", mediaID: "P"))
        #expect(
            WebhookDelivery.forEvent(event("post.published", "tiktok"))
                == .tiktok(
                    openID: "A", event: "post.publish.publicly_available",
                    content: #"{"publish_id":"v_pub_file~v2-1.P","post_id":"P","publish_type":"DIRECT_PUBLISH"}"#))
        #expect(
            WebhookDelivery.forEvent(event("authorization.removed", "tiktok", post: nil))
                == .tiktok(openID: "A", event: "authorization.removed", content: #"{"reason":1}"#))
        #expect(WebhookDelivery.forEvent(event("authorization.removed", "instagram", post: nil)) == nil)
        #expect(WebhookDelivery.forEvent(event("metrics.changed", "instagram")) == nil)
        #expect(WebhookDelivery.forEvent(event("token.expired", "tiktok", post: nil)) == nil)
        #expect(
            WebhookDelivery.forEvent(event("webhook.requested", "instagram", detail: "mentions"))
                == .instagram(accountID: "A", field: "mentions", mediaID: "P"))
        #expect(
            WebhookDelivery.forEvent(event("webhook.requested", "tiktok", post: nil, detail: "video.upload.failed"))
                == .tiktok(openID: "A", event: "video.upload.failed", content: "{}"))
    }

    /// Should answer `POST /_sim/webhook` with 202 and emit the event, or explain what is wrong.
    @Test func adminWebhookRouteEmitsAnEvent() async throws {
        let clock = ManualClock()
        var configuration = SimulatorConfiguration(seed: 7, webhookURL: "http://127.0.0.1:9")
        configuration.now = { clock.now() }
        let world = SimulatorWorld(configuration: configuration)
        let accounts = await world.accounts()
        let account = try #require(accounts.first(where: { $0.platform == "instagram" }))
        let posts = await world.posts(platform: "instagram", externalId: account.externalId)
        let newest = try #require(posts.first)
        let ok = await world.handle(
            SimulatorHTTPRequest(method: "POST", target: "/_sim/webhook?account=instagram:\(account.externalId)&event=comments"))
        #expect(ok.status == 202)
        var iterator = world.events.makeAsyncIterator()
        let emitted = await iterator.next()
        #expect(
            emitted
                == SimulatorEvent(
                    kind: "webhook.requested", platform: "instagram", externalId: account.externalId, postId: newest.id,
                    at: clock.now(),
                    detail: "comments"))
        let missingEvent = await world.handle(
            SimulatorHTTPRequest(method: "POST", target: "/_sim/webhook?account=instagram:\(account.externalId)"))
        #expect(missingEvent.status == 400)
        let unknownPost = await world.handle(
            SimulatorHTTPRequest(
                method: "POST", target: "/_sim/webhook?account=instagram:\(account.externalId)&event=comments&post=nope"))
        #expect(unknownPost.status == 404)
        let unknownAccount = await world.handle(
            SimulatorHTTPRequest(method: "POST", target: "/_sim/webhook?account=tiktok:nobody&event=x"))
        #expect(unknownAccount.status == 404)
        let unconfigured = makeWorld(clock: clock)
        let refused = await unconfigured.handle(
            SimulatorHTTPRequest(
                method: "POST", target: "/_sim/webhook?account=instagram:\(account.externalId)&event=comments"))
        #expect(refused.status == 409)
    }
}

/// HMAC-SHA256 computed by Python's standard library, outside the process under test.
enum PythonHMAC {
    /// `hmac.new(key, message, hashlib.sha256).hexdigest()`.
    static func hex(key: String, message: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sim-hmac-\(UUID().uuidString)")
        try message.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2], 'rb').read(), hashlib.sha256).hexdigest())",
            key, url.path,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "python3 failed")
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `t` and `s` of a `TikTok-Signature` header.
    static func tiktokParts(_ header: String) -> (t: String, s: String)? {
        var parts: [String: String] = [:]
        for element in header.split(separator: ",") {
            let pair = element.split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { parts[pair[0]] = pair[1] }
        }
        guard let t = parts["t"], let s = parts["s"] else { return nil }
        return (t, s)
    }
}
