import Foundation
import Testing

@testable import PostSync

/// Webhook signatures checked against HMACs computed by `openssl` and Python's `hmac` module, so
/// the production code is never its own oracle.
@Suite struct WebhookSignatureTests {
    /// A Meta app secret with a non-ASCII character (keys are UTF-8 bytes).
    static let appSecret = "meta-app-secret-\u{e9}"
    /// A TikTok client secret.
    static let clientSecret = "tiktok-client-secret"
    /// Non-ASCII bytes and an escaped sequence, as Meta sends them: the raw bytes are what is signed.
    static let metaBody = Data(
        #"{"object":"instagram","entry":[{"id":"17841405726653026","time":1520622968,"changes":[{"field":"comments","value":{"id":"17865799348089039","text":"caf\u00e9 ☕️ \/ok","media":{"id":"17918195224117851"}}}]}]}"#
            .utf8)
    /// The documented `authorization.removed` example, compacted.
    static let tiktokBody = Data(
        #"{"client_key":"bwo2m45353a6k85","event":"authorization.removed","create_time":1615338610,"user_openid":"act.example12345Example12345Example","content":"{\"reason\": 1 }"}"#
            .utf8)

    // MARK: Meta

    /// Should read a signature header exactly as the Foundation reading it replaced (trim
    /// `.whitespaces`, `sha256=` in any case, 64 hex digits in either case).
    @Test func metaHeaderReadAsBefore() {
        func reference(_ header: String) -> [UInt8]? {
            let trimmed = header.trimmingCharacters(in: .whitespaces)
            guard trimmed.count == 71, trimmed.lowercased().hasPrefix("sha256=") else { return nil }
            return WebhookSignature.decodeHex(trimmed.dropFirst(7))
        }
        let hex = String(repeating: "0123456789abcdeF", count: 4)
        let headers = [
            "sha256=\(hex)", "SHA256=\(hex)", "Sha256=\(hex)", " \tsha256=\(hex)\t ", "sha256=\(hex) x",
            "sha256=\(hex.dropLast())", "sha256=\(hex)0", "sha256:\(hex)", "sha256=\(hex.dropLast())g",
            "\u{12}ha256=\(hex)", "sha\u{12}56=\(hex)", "sha256\u{1D}\(hex)", "\u{A0}sha256=\(hex)\u{2003}",
            "sha256=\(hex)\n", "sha256 =\(hex)", "", "   ", "sha256=", "\u{e9}ha256=\(hex)",
        ]
        for header in headers {
            #expect(WebhookSignature.metaMAC(header) == reference(header), "\(header.debugDescription)")
        }
        #expect(WebhookSignature.metaMAC("sha256=\(hex)")?.count == 32)
    }

    /// Should accept `sha256=<hex>` computed by `openssl dgst -sha256 -hmac`, in lower or upper case.
    @Test func metaAcceptsAnIndependentlyComputedSignature() throws {
        let hex = try IndependentHMAC.openssl(key: Self.appSecret, message: Self.metaBody)
        #expect(hex.count == 64)
        #expect(WebhookSignature.verifyMeta(body: Self.metaBody, header: "sha256=\(hex)", appSecret: Self.appSecret))
        #expect(WebhookSignature.verifyMeta(body: Self.metaBody, header: "sha256=\(hex.uppercased())", appSecret: Self.appSecret))
        #expect(WebhookSignature.metaSignature(body: Self.metaBody, secret: Self.appSecret) == "sha256=\(hex)")
    }

    /// Should reject a body with one flipped bit.
    @Test func metaRejectsAFlippedBodyBit() throws {
        let header = "sha256=" + (try IndependentHMAC.openssl(key: Self.appSecret, message: Self.metaBody))
        for index in [0, Self.metaBody.count / 2, Self.metaBody.count - 1] {
            var tampered = Self.metaBody
            tampered[index] ^= 0x01
            #expect(!WebhookSignature.verifyMeta(body: tampered, header: header, appSecret: Self.appSecret))
        }
    }

    /// Should reject a signature with one changed hex digit, and one made with another secret.
    @Test func metaRejectsAChangedSignature() throws {
        let hex = try IndependentHMAC.openssl(key: Self.appSecret, message: Self.metaBody)
        for index in [0, 31, 63] {
            #expect(
                !WebhookSignature.verifyMeta(
                    body: Self.metaBody, header: "sha256=\(flipDigit(hex, at: index))", appSecret: Self.appSecret))
        }
        #expect(!WebhookSignature.verifyMeta(body: Self.metaBody, header: "sha256=\(hex)", appSecret: "another-secret"))
    }

    /// Should reject a missing header, the legacy `sha1=` form, a wrong length, non-hex and an empty secret.
    @Test func metaRejectsMalformedHeaders() throws {
        let hex = try IndependentHMAC.openssl(key: Self.appSecret, message: Self.metaBody)
        let sha1 = try IndependentHMAC.python(key: Self.appSecret, message: Self.metaBody, digest: "sha1")
        let headers: [String?] = [
            nil, "", "sha256=", hex, "sha1=\(sha1)", "sha1=\(hex)", "sha256=\(hex.dropLast())", "sha256=\(hex)0",
            "sha256=" + String(repeating: "g", count: 64), "sha256 =\(hex)", "sha512=\(hex)",
        ]
        for header in headers {
            #expect(
                !WebhookSignature.verifyMeta(body: Self.metaBody, header: header, appSecret: Self.appSecret), "\(header ?? "nil")"
            )
        }
        let emptyKeyHex = try IndependentHMAC.python(key: "", message: Self.metaBody)
        #expect(!WebhookSignature.verifyMeta(body: Self.metaBody, header: "sha256=\(emptyKeyHex)", appSecret: ""))
    }

    /// Should check many deliveries with one prepared key as with a key made per delivery: using
    /// the key must not change it (its hash states are copied, not advanced), whatever the order.
    @Test func onePreparedKeyChecksManyBodies() throws {
        let key = try #require(WebhookKey(secret: Self.appSecret))
        let bodies = [Self.metaBody, Data(), Data("{}".utf8), Self.metaBody + Data(repeating: 0x20, count: 200), Self.metaBody]
        let headers = try bodies.map { "sha256=" + (try IndependentHMAC.openssl(key: Self.appSecret, message: $0)) }
        // Every body against every signature, twice: valid and invalid uses interleaved.
        for _ in 0..<2 {
            for body in bodies {
                for (signed, header) in zip(bodies, headers) {
                    #expect(WebhookSignature.verifyMeta(body: body, header: header, key: key) == (body == signed))
                }
            }
        }
        #expect(WebhookKey(secret: "") == nil)
    }

    // MARK: TikTok

    /// Should accept an HMAC of `t + "." + body` computed by Python, whatever the element order,
    /// spacing or extra keys.
    @Test func tiktokAcceptsAnIndependentlyComputedSignature() throws {
        let now = Date(timeIntervalSince1970: 1_633_174_587)
        let t = "1633174587"
        let hex = try IndependentHMAC.python(key: Self.clientSecret, message: Data("\(t).".utf8) + Self.tiktokBody)
        for header in ["t=\(t),s=\(hex)", "s=\(hex),t=\(t)", " t=\(t) , s=\(hex.uppercased()) ", "v=1,t=\(t),s=\(hex),x"] {
            let result = WebhookSignature.verifyTikTok(
                body: Self.tiktokBody, header: header, clientSecret: Self.clientSecret, now: now)
            #expect(result == .valid, "\(header)")
        }
        #expect(
            WebhookSignature.tiktokSignature(body: Self.tiktokBody, secret: Self.clientSecret, timestamp: 1_633_174_587)
                == "t=\(t),s=\(hex)")
    }

    /// Should answer `.stale` for a correctly signed timestamp 301 s in the past or the future,
    /// and accept exactly 300 s.
    @Test func tiktokRejectsStaleTimestamps() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        for (offset, expected) in [(-301, TikTokSignatureResult.stale), (301, .stale), (-300, .valid), (300, .valid)] {
            let t = 1_700_000_000 + offset
            let hex = try IndependentHMAC.python(key: Self.clientSecret, message: Data("\(t).".utf8) + Self.tiktokBody)
            let result = WebhookSignature.verifyTikTok(
                body: Self.tiktokBody, header: "t=\(t),s=\(hex)", clientSecret: Self.clientSecret, now: now)
            #expect(result == expected, "offset \(offset)")
        }
    }

    /// Should answer `.mismatch` for a flipped body bit, a changed digit, a changed `t` or another secret.
    @Test func tiktokRejectsTampering() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let t = "1700000000"
        let hex = try IndependentHMAC.python(key: Self.clientSecret, message: Data("\(t).".utf8) + Self.tiktokBody)
        var tampered = Self.tiktokBody
        tampered[tampered.count / 2] ^= 0x01
        func verify(_ body: Data, _ header: String, secret: String = Self.clientSecret) -> TikTokSignatureResult {
            WebhookSignature.verifyTikTok(body: body, header: header, clientSecret: secret, now: now)
        }
        #expect(verify(tampered, "t=\(t),s=\(hex)") == .mismatch)
        #expect(verify(Self.tiktokBody, "t=\(t),s=\(flipDigit(hex, at: 10))") == .mismatch)
        #expect(verify(Self.tiktokBody, "t=1700000001,s=\(hex)") == .mismatch)
        #expect(verify(Self.tiktokBody, "t=\(t),s=\(hex)", secret: "other") == .mismatch)
        #expect(verify(Self.tiktokBody, "t=\(t),s=\(hex)", secret: "") == .mismatch)
    }

    /// Should tell a missing header from a malformed one.
    @Test func tiktokClassifiesMalformedHeaders() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let hex = String(repeating: "ab", count: 32)
        func verify(_ header: String?) -> TikTokSignatureResult {
            WebhookSignature.verifyTikTok(body: Self.tiktokBody, header: header, clientSecret: Self.clientSecret, now: now)
        }
        #expect(verify(nil) == .missing)
        #expect(verify("  ") == .missing)
        let malformed = [
            "garbage", "t=1700000000", "s=\(hex)", "t=,s=\(hex)", "t=abc,s=\(hex)", "t=-5,s=\(hex)", "t=1.5,s=\(hex)",
            "t=1700000000,s=\(hex.dropLast())", "t=1700000000,s=" + String(repeating: "z", count: 64),
            "t=1700000000,t=1700000000,s=\(hex)", "t=1700000000,s=\(hex),s=\(hex)", "t=99999999999999999999,s=\(hex)",
            "t=1700000000;s=\(hex)",
        ]
        for header in malformed {
            #expect(verify(header) == .malformed, "\(header)")
        }
    }

    private func flipDigit(_ hex: String, at index: Int) -> String {
        var characters = Array(hex)
        characters[index] = characters[index] == "0" ? "1" : "0"
        return String(characters)
    }
}

/// HMAC-SHA256 computed outside the process under test.
enum IndependentHMAC {
    /// `openssl dgst -sha256 -hmac <key>` over a file holding `message`; lower-case hex.
    static func openssl(key: String, message: Data) throws -> String {
        try withFile(message) { path in
            let output = try run(["openssl", "dgst", "-sha256", "-hmac", key, path])
            // OpenSSL 1 and 3 label the digest differently; the hex is the last field either way.
            return String(output.split(whereSeparator: \.isWhitespace).last ?? "")
        }
    }

    /// Python's `hmac.new(key, message, <digest>).hexdigest()` over a file holding `message`.
    static func python(key: String, message: Data, digest: String = "sha256") throws -> String {
        let script =
            "import hashlib, hmac, sys; print(hmac.new(sys.argv[1].encode(), open(sys.argv[2], 'rb').read(), "
            + "getattr(hashlib, sys.argv[3])).hexdigest())"
        return try withFile(message) { path in
            try run(["python3", "-c", script, key, path, digest]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    private static func withFile<T>(_ contents: Data, _ body: (String) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("postsync-hmac-\(UUID().uuidString)")
        try contents.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url.path)
    }

    private static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ToolFailed(command: arguments[0], status: process.terminationStatus) }
        return String(decoding: data, as: UTF8.self)
    }

    /// A helper tool exited with a failure status.
    struct ToolFailed: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var description: String { "\(command) exited with status \(status)" }
    }
}
