import Crypto
import Foundation
import Testing

@testable import PostSync

/// Decoding of webhook bodies (the documented example shapes) and redelivery de-duplication.
@Suite struct WebhookPayloadTests {
    // MARK: Meta

    /// Should reduce a 1,000-entry batch for 3 accounts to exactly those 3 ids, in first-seen order,
    /// whether ids are strings or numbers and entries carry `changes` or `messaging`.
    @Test func metaBatchYieldsEachAccountOnce() throws {
        let accounts = ["17841400000000003", "17841400000000001", "17841400000000002"]
        var entries: [String] = []
        for index in 0..<1_000 {
            let account = accounts[index % 3]
            let id = index.isMultiple(of: 2) ? "\"\(account)\"" : account
            if index % 5 == 4 {
                entries.append(
                    #"{"id":\#(id),"time":1569262486134,"messaging":[{"sender":{"id":"1"},"recipient":{"id":"\#(account)"},"timestamp":1569262485349,"message":{"mid":"m\#(index)","text":"hi"}}]}"#
                )
            } else {
                entries.append(
                    #"{"id":\#(id),"time":1520622968,"changes":[{"field":"comments","value":{"id":"\#(17_000 + index)","text":"nice","media":{"id":"18\#(index)","media_product_type":"FEED"}}}]}"#
                )
            }
        }
        let body = Data(#"{"object":"instagram","entry":[\#(entries.joined(separator: ","))]}"#.utf8)
        #expect(try WebhookPayload.instagramAccountIDs(body) == accounts)
    }

    /// Should accept the documented `mentions` example, a body wrapped in `[ … ]`, and skip entries without an id.
    @Test func metaAcceptsDocumentedVariants() throws {
        let mentions =
            #"{"object":"instagram","entry":[{"id":"17841405726653026","time":1520622968,"changes":[{"field":"mentions","value":{"media_id":"17918195224117851"}}]}]}"#
        #expect(try WebhookPayload.instagramAccountIDs(Data(mentions.utf8)) == ["17841405726653026"])
        let wrapped =
            " [\(mentions), {\"object\":\"instagram\",\"entry\":[{\"id\":\"2\"},{\"time\":1},{\"id\":true},{\"id\":\"\"}]}]"
        #expect(try WebhookPayload.instagramAccountIDs(Data(wrapped.utf8)) == ["17841405726653026", "2"])
        #expect(try WebhookPayload.instagramAccountIDs(Data(#"{"object":"instagram","entry":[]}"#.utf8)) == [])
    }

    /// Should throw for bodies that are not a Meta envelope.
    @Test func metaRejectsNonEnvelopes() {
        for body in ["", "not json", "{}", #"{"entry":{}}"#, "[1]", "42"] {
            #expect(throws: (any Error).self, "\(body)") { try WebhookPayload.instagramAccountIDs(Data(body.utf8)) }
        }
    }

    // MARK: TikTok

    /// The scanner must read exactly what `JSONDecoder` reads: the same ids, or nothing (and
    /// then the decoder's answer stands), over odd but possible bodies.
    @Test func scannerAgreesWithTheDecoder() throws {
        let bodies =
            [
                #"{"object":"instagram","entry":[{"id":"1","time":1},{"id":"2","changes":[{"field":"comments","value":{"id":"x"}}]}]}"#,
                #"[{"object":"instagram","entry":[{"id":"1"}]},{"entry":[{"id":"3"},{"id":"1"}]}]"#,
                #"{"entry":[{"id":17841400000000001},{"id":"2"}]}"#,
                #"{"entry":[{"id":null},{"id":"2"},{}]}"#,
                #"{"entry":[{"id":"1","id":"2"}]}"#,
                #"{"entry":[{"id":"1"}],"entry":[{"id":"2"}]}"#,
                #"{"entry":[{"id":"caf\u00e9\/1"}],"other":{"nested":[1,2.5e3,true,null,"\ud83d\ude00"]}}"#,
                #"{"entry":[{"\u0069d":"1"}]}"#,
                #"{"entry":[{"id":"1"},]}"#,
                #"{"entry":[{"id":true},{"id":{"a":1}},{"id":"4"}]}"#,
                #"{"entry":{}}"#,
                #"{"object":"instagram"}"#,
                #"  {"entry":[ { "id" : "5" } ] }  "#,
                #"{"entry":[{"id":"1"}]} trailing"#,
                #"{"entry":["not an object"]}"#,
                "",
            ].map { Data($0.utf8) } + [Data(#"{"entry":[],"x":""#.utf8) + Data([0xFF]) + Data(#""}"#.utf8)]
        for body in bodies {
            let decoded = try? WebhookPayload.decodedInstagramIDs(body)
            if let scanned = WebhookPayload.scannedInstagramIDs(body) {
                #expect(scanned == decoded, "\(String(decoding: body, as: UTF8.self))")
            }
            #expect((try? WebhookPayload.instagramAccountIDs(body)) == decoded.map { Self.distinct($0) })
        }
        // The common shape is the scanner's.
        #expect(WebhookPayload.scannedInstagramIDs(bodies[0]) == [["1", "2"]])
        #expect(WebhookPayload.scannedInstagramIDs(bodies.last!) == nil, "invalid UTF-8 is the decoder's")
    }

    /// Distinct non-empty ids in first-seen order.
    static func distinct(_ envelopes: [[String]]) -> [String] {
        var seen = Set<String>()
        return envelopes.joined().filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Should decode the documented `authorization.removed` example, `content` decoded a second time.
    @Test func tiktokAuthorizationRemovedExample() throws {
        let body = """
            {
                "client_key": "bwo2m45353a6k85",
                "event": "authorization.removed",
                "create_time": 1615338610,
                "user_openid": "act.example12345Example12345Example",
                "content": "{\\"reason\\": 1 }"
            }
            """
        let event = try WebhookPayload.tiktokEvent(Data(body.utf8))
        #expect(event.event == TikTokWebhookEvent.authorizationRemoved)
        #expect(event.clientKey == "bwo2m45353a6k85")
        #expect(event.createTime == 1_615_338_610)
        #expect(event.userOpenID == "act.example12345Example12345Example")
        #expect(event.reason == 1)
    }

    /// Should decode the documented `portability.download.ready` example, which has no `user_openid`.
    @Test func tiktokPortabilityExampleWithoutOpenID() throws {
        let body = """
            {
                "client_key": "developer_client_key",
                "event": "portability.download.ready",
                "create_time": 1615338610,
                "content":"{\\"request_id\\":123123123123123}"
            }
            """
        let event = try WebhookPayload.tiktokEvent(Data(body.utf8))
        #expect(event.event == "portability.download.ready")
        #expect(event.userOpenID == nil)
        #expect(event.content == TikTokWebhookEvent.Content())
        #expect(event.reason == nil)
    }

    /// Should read `post_id` and `publish_id` of `post.publish.publicly_available`, numbers included.
    @Test func tiktokPublishContent() throws {
        let body =
            #"{"client_key":"k","event":"post.publish.publicly_available","create_time":"1700000000","user_openid":"sim-open-0001","content":"{\"publish_id\":\"v_pub_file~v2-1.1\",\"post_id\":7300000000000000001,\"publish_type\":\"DIRECT_PUBLISH\"}"}"#
        let event = try WebhookPayload.tiktokEvent(Data(body.utf8))
        #expect(event.createTime == 1_700_000_000)
        #expect(
            event.content == .init(publishID: "v_pub_file~v2-1.1", postID: "7300000000000000001", publishType: "DIRECT_PUBLISH"))
    }

    /// Should keep the event when `content` is missing, unparseable or of another type; throw without `event`.
    @Test func tiktokToleratesBadContent() throws {
        for content in [#""content":"{not json""#, #""content":"[1,2]""#, #""content":17"#, #""content":null"#, #""other":1"#] {
            let body = #"{"client_key":"k","event":"authorization.removed","create_time":1,"user_openid":"u",\#(content)}"#
            let event = try WebhookPayload.tiktokEvent(Data(body.utf8))
            #expect(event.event == "authorization.removed")
            #expect(event.userOpenID == "u")
            #expect(event.content == nil, "\(content)")
        }
        let object = #"{"event":"authorization.removed","user_openid":"","content":{"reason":"4"}}"#
        let event = try WebhookPayload.tiktokEvent(Data(object.utf8))
        #expect(event.reason == 4)
        #expect(event.userOpenID == nil)
        #expect(event.clientKey == "")
        #expect(throws: (any Error).self) { try WebhookPayload.tiktokEvent(Data(#"{"user_openid":"u"}"#.utf8)) }
        #expect(throws: (any Error).self) { try WebhookPayload.tiktokEvent(Data("nope".utf8)) }
    }

    // MARK: De-duplication

    /// Should report a body seen again within 10 minutes as a duplicate, and not after 601 s.
    @Test func dedupWindow() {
        let dedup = WebhookDeduplicator()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let body = Data(#"{"object":"instagram","entry":[{"id":"1"}]}"#.utf8)
        #expect(!dedup.isDuplicate(body, now: start))
        #expect(dedup.isDuplicate(body, now: start.addingTimeInterval(1)))
        #expect(!dedup.isDuplicate(Data(#"{"object":"instagram","entry":[{"id":"2"}]}"#.utf8), now: start.addingTimeInterval(2)))
        // A duplicate does not extend the window: 600 s after the first sighting is the edge.
        #expect(dedup.isDuplicate(body, now: start.addingTimeInterval(600)))
        #expect(!dedup.isDuplicate(body, now: start.addingTimeInterval(601)))
        #expect(dedup.isDuplicate(body, now: start.addingTimeInterval(602)))
        // Expired entries are evicted as time passes.
        #expect(!dedup.isDuplicate(Data("other".utf8), now: start.addingTimeInterval(2_000)))
        #expect(dedup.count == 1)
    }

    /// Should tell keys apart by every one of their 32 bytes, and make a body's key from its SHA-256.
    @Test func dedupKeysUseAll32Bytes() {
        let base = [UInt8](repeating: 0xA5, count: 32)
        var keys: Set<WebhookDeduplicator.Key> = [WebhookDeduplicator.Key(base)]
        for index in base.indices {
            var changed = base
            changed[index] ^= 0x01
            keys.insert(WebhookDeduplicator.Key(changed))
        }
        #expect(keys.count == 33)
        let body = Data("body".utf8)
        #expect(WebhookDeduplicator.Key(digestOf: body) == WebhookDeduplicator.Key(Array(SHA256.hash(data: body))))
        #expect(WebhookDeduplicator.Key(digestOf: body) != WebhookDeduplicator.Key(digestOf: Data("bodY".utf8)))
        let dedup = WebhookDeduplicator()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(!dedup.isDuplicate(key: WebhookDeduplicator.Key(base), now: now))
        #expect(dedup.isDuplicate(key: WebhookDeduplicator.Key(base), now: now.addingTimeInterval(1)))
    }

    /// Should keep at most `capacity` bodies, forgetting the oldest first.
    @Test func dedupIsBounded() {
        let dedup = WebhookDeduplicator(window: .seconds(600), capacity: 3)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for index in 0..<5 {
            #expect(!dedup.isDuplicate(Data("body \(index)".utf8), now: now.addingTimeInterval(Double(index))))
        }
        #expect(dedup.count == 3)
        #expect(dedup.isDuplicate(Data("body 4".utf8), now: now.addingTimeInterval(5)))
        #expect(!dedup.isDuplicate(Data("body 0".utf8), now: now.addingTimeInterval(6)))
        // Many bodies through a small deduplicator stay bounded (exercises the queue compaction).
        let small = WebhookDeduplicator(capacity: 100)
        for index in 0..<5_000 {
            _ = small.isDuplicate(Data("x\(index)".utf8), now: now)
        }
        #expect(small.count == 100)
        #expect(small.isDuplicate(Data("x4999".utf8), now: now))
    }
}
