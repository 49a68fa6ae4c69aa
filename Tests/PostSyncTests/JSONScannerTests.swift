import Foundation
import Testing

@testable import PostSync

/// The hot pages' scanner must read exactly what `JSONDecoder` reads, or leave the page to it.
@Suite struct JSONScannerTests {
    static let mediaPages = [
        Fixtures.facebook + "instagram/apidata/users/medias_p1.json",
        Fixtures.facebook + "instagram/apidata/users/medias_p2.json",
        Fixtures.facebook + "instagram_basic/apidata/user/user_medias_p1.json",
        Fixtures.facebook + "instagram_basic/apidata/user/user_medias_p2.json",
    ]

    /// Should read every recorded /media page itself, to the same value as JSONDecoder.
    @Test(arguments: mediaPages) func recordedMediaPages(path: String) throws {
        let body = try Fixtures.data(path)
        let scanned = try #require(GraphMediaPage.scanned(from: body), "the scanner left a recorded page to JSONDecoder")
        #expect(scanned == (try JSONDecoder().decode(GraphMediaPage.self, from: body)))
    }

    /// Should never accept a recorded answer that JSONDecoder reads differently or refuses
    /// (errors, insights, tokens: other shapes).
    @Test func otherRecordedAnswers() throws {
        let files = try #require(FileManager.default.enumerator(atPath: Fixtures.root.path))
        var compared = 0
        for case let path as String in files where path.hasSuffix(".json") {
            let body = try Fixtures.data(path)
            let decoded = try? JSONDecoder().decode(GraphMediaPage.self, from: body)
            if let scanned = GraphMediaPage.scanned(from: body) {
                #expect(scanned == decoded, "\(path)")
            }
            let decodedTikTok = try? JSONDecoder().decode(TikTokEnvelope<TikTokVideoPage>.self, from: body)
            if let scanned = TikTokEnvelope<TikTokVideoPage>.scanned(from: body) {
                #expect(scanned == decodedTikTok, "\(path)")
            }
            compared += 1
        }
        #expect(compared > 20)
    }

    /// Should decode escapes, surrogate pairs and non-ASCII text as JSONDecoder does.
    @Test func escapedStrings() throws {
        let body = Data(
            #"{"data":[{"id":"1","caption":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t é 😀 end"}]}"#.utf8)
        let scanned = try #require(GraphMediaPage.scanned(from: body))
        #expect(scanned.data[0].caption == "café 😀 \"q\" \\ / \u{08}\u{0C}\n\r\t é 😀 end")
        #expect(scanned == (try JSONDecoder().decode(GraphMediaPage.self, from: body)))
    }

    /// Should leave to JSONDecoder what it does not handle, which then decides: floats, lone
    /// surrogates, escaped keys.
    @Test func leavesTheRestToJSONDecoder() throws {
        let float = Data(#"{"data":[{"id":"1","like_count":2.6}]}"#.utf8)
        #expect(GraphMediaPage.scanned(from: float) == nil)
        #expect(try GraphMediaPage.decode(from: float).data[0].likeCount?.value == 3, "Meta's floats round")
        let escapedKey = Data(#"{"data":[{"\u0069d":"7"}]}"#.utf8)
        #expect(GraphMediaPage.scanned(from: escapedKey) == nil)
        #expect(try GraphMediaPage.decode(from: escapedKey).data[0].id == "7")
        let numericString = Data(#"{"data":[{"id":"1","comments_count":"12"}]}"#.utf8)
        #expect(GraphMediaPage.scanned(from: numericString)?.data[0].commentsCount?.value == 12)
    }

    /// Should leave trailing commas to JSONDecoder, which accepts them.
    @Test func trailingCommas() throws {
        for text in [#"{"data":[{"id":"1",}]}"#, #"{"data":[{"id":"1"},]}"#] {
            #expect(GraphMediaPage.scanned(from: Data(text.utf8)) == nil)
            #expect(try GraphMediaPage.decode(from: Data(text.utf8)).data.map(\.id) == ["1"])
        }
    }

    /// Should refuse what JSONDecoder refuses: the page then fails with the decoder's error.
    @Test(arguments: [
        #"{"data":[{"id":"1"}]"#, #"{"data":[{"id":"1"}]} x"#, #"{"data":[{"id":1}]}"#, #"{"data":[{"caption":"a"}]}"#,
        #"{"paging":{}}"#, #"{"data":[{"id":"a\u12"}]}"#,
        #"{"data":[{"id":"1","like_count":01}]}"#, #"{"data":[{"id":"1","like_count":99999999999999999999}]}"#,
        #"{"data":[{"id":"1","x":tru}]}"#, #"{"data":null}"#, "{\"data\":[{\"id\":\"a\u{01}\"}]}",
        #"{"data":[{"id":"\ud83d"}]}"#, #"{"data":[{"id":"1","like_count":"1.5"}]}"#,
        #"{"data":[{"id":"1","like_count":1e300}]}"#,
    ])
    func malformed(text: String) {
        let body = Data(text.utf8)
        #expect(GraphMediaPage.scanned(from: body) == nil)
        #expect(throws: (any Error).self) { try GraphMediaPage.decode(from: body) }
    }

    /// Should agree with JSONDecoder on generated pages: every field present, null or missing,
    /// numbers as integers, strings or floats, unknown nested fields, whitespace.
    @Test func generatedMediaPages() throws {
        var random = SplitMix64(seed: 14)
        var scannedCount = 0
        for _ in 0..<300 {
            let body = Data(Self.mediaPage(&random).utf8)
            let decoded = try? JSONDecoder().decode(GraphMediaPage.self, from: body)
            guard let scanned = GraphMediaPage.scanned(from: body) else { continue }
            scannedCount += 1
            #expect(scanned == decoded, "\(String(decoding: body, as: UTF8.self))")
        }
        #expect(scannedCount > 50, "the generator must give pages the scanner reads")
    }

    /// Should agree with JSONDecoder on generated TikTok answers, successes and errors.
    @Test func generatedVideoPages() throws {
        var random = SplitMix64(seed: 15)
        var scannedCount = 0
        for _ in 0..<300 {
            let body = Data(Self.videoAnswer(&random).utf8)
            let decoded = try? JSONDecoder().decode(TikTokEnvelope<TikTokVideoPage>.self, from: body)
            guard let scanned = TikTokEnvelope<TikTokVideoPage>.scanned(from: body) else { continue }
            scannedCount += 1
            #expect(scanned == decoded, "\(String(decoding: body, as: UTF8.self))")
        }
        #expect(scannedCount > 50)
    }

    /// Should read an error answer's code with `data` dropped, as the Decodable envelope does.
    @Test func tiktokError() throws {
        let body = Data(
            #"{"data":{"videos":"not a list"},"error":{"code":"access_token_invalid","message":"m","log_id":"x"}}"#.utf8)
        #expect(TikTokEnvelope<TikTokVideoPage>.scanned(from: body) == nil, "scanned data must be well-typed")
        let envelope = try TikTokEnvelope<TikTokVideoPage>.decode(from: body)
        #expect(envelope.error.code == "access_token_invalid")
        #expect(envelope.data == nil)
        let empty = Data(#"{"data":{},"error":{"code":"rate_limit_exceeded","message":"","log_id":"y"}}"#.utf8)
        #expect(TikTokEnvelope<TikTokVideoPage>.scanned(from: empty)?.data == nil)
        #expect(TikTokEnvelope<TikTokVideoPage>.scanned(from: Data(#"{"data":{}}"#.utf8)) == nil, "error is required")
    }

    /// Should still decode other payloads (user info) with JSONDecoder.
    @Test func otherPayloads() throws {
        let body = try Fixtures.data("tiktok/user_info__full.json")
        let envelope = try TikTokEnvelope<TikTokUserInfo>.decode(from: body)
        #expect(envelope.error.code == "ok")
        #expect(envelope.data?.user.openId != nil)
    }

    // MARK: - Generators

    private static func pick<T>(_ choices: [T], _ random: inout SplitMix64) -> T {
        choices[Int(random.next() % UInt64(choices.count))]
    }

    private static func text(_ random: inout SplitMix64) -> String {
        let pieces = [
            "a", "Zz", " ", "é", "😀", #"\""#, #"\\"#, #"\/"#, #"\n"#, #"\t"#, #"\u00e9"#, #"\ud83d\ude00"#, "#tag", "@who",
            #"\u0000"#, "https://x/y?z=1&w=2",
        ]
        return "\"" + (0..<Int(random.next() % 6)).map { _ in pick(pieces, &random) }.joined() + "\""
    }

    private static func number(_ random: inout SplitMix64) -> String {
        pick(
            ["0", "7", "-3", "12345678901", "9223372036854775807", "\"42\"", "2.0", "1e3", "null", "\"x\""], &random)
    }

    private static func unknown(_ random: inout SplitMix64) -> String {
        pick([#"{"a":[1,2.5e-3,{"b":null}],"c":true}"#, "[]", "false", #""s\"""#, "-0.5", "{}"], &random)
    }

    private static func field(_ name: String, _ value: String, _ random: inout SplitMix64) -> String? {
        switch random.next() % 8 {
        case 0: nil
        case 1: "\"\(name)\":null"
        default: "\"\(name)\" : \(value)"
        }
    }

    private static func object(_ fields: [String?], _ random: inout SplitMix64) -> String {
        var present = fields.compactMap { $0 }
        if random.next() % 4 == 0 { present.insert("\"extra\":\(unknown(&random))", at: 0) }
        return "{" + present.joined(separator: pick([",", " ,\n ", ",\t"], &random)) + "}"
    }

    static func mediaPage(_ random: inout SplitMix64) -> String {
        let media = (0..<Int(random.next() % 5)).map { _ in
            object(
                [
                    random.next() % 20 == 0 ? nil : "\"id\":\(text(&random))", field("caption", text(&random), &random),
                    field("media_type", text(&random), &random), field("media_product_type", text(&random), &random),
                    field("permalink", text(&random), &random),
                    field("timestamp", "\"2021-08-13T08:02:40+0000\"", &random),
                    field("like_count", number(&random), &random), field("comments_count", number(&random), &random),
                ], &random)
        }
        let paging = field("paging", object([field("next", text(&random), &random)], &random), &random)
        return " " + object(["\"data\":[" + media.joined(separator: ",") + "]", paging], &random) + "\n"
    }

    static func videoAnswer(_ random: inout SplitMix64) -> String {
        let videos = (0..<Int(random.next() % 5)).map { _ in
            object(
                [
                    random.next() % 20 == 0 ? nil : "\"id\":\(text(&random))", field("create_time", number(&random), &random),
                    field("title", text(&random), &random), field("video_description", text(&random), &random),
                    field("share_url", text(&random), &random), field("like_count", number(&random), &random),
                    field("comment_count", number(&random), &random), field("share_count", number(&random), &random),
                    field("view_count", number(&random), &random),
                ], &random)
        }
        let data = object(
            [
                field("videos", "[" + videos.joined(separator: ",") + "]", &random),
                field("cursor", number(&random), &random), field("has_more", pick(["true", "false", "1"], &random), &random),
            ], &random)
        let error = object(
            [
                "\"code\":" + pick(["\"ok\"", "\"ok\"", "\"internal_error\""], &random),
                field("message", text(&random), &random), field("log_id", text(&random), &random),
            ], &random)
        return object([field("data", data, &random), random.next() % 20 == 0 ? nil : "\"error\":" + error], &random)
    }
}
