import Crypto
import Foundation

/// The outcome of checking a `TikTok-Signature` header.
public enum TikTokSignatureResult: Sendable, Equatable {
    /// The signature matches and the timestamp is within the tolerance.
    case valid
    /// No header, or an empty one.
    case missing
    /// The header is not `t=<unix seconds>,s=<64 hex digits>`.
    case malformed
    /// The signature matches but `t` is further from now than the tolerance (a replay or a bad clock).
    case stale
    /// The signature does not match the body (or no client secret is configured).
    case mismatch
}

/// Verifies (and, for tests, produces) the signatures both platforms put on webhook deliveries.
///
/// Everything works on the **raw body bytes** exactly as received: Meta signs an escaped-unicode
/// serialisation, so re-encoding parsed JSON would break valid signatures. Comparisons go through
/// swift-crypto's `safeCompare` (`WebhookKey.isValid`), which compares in constant time, so a caller cannot
/// learn a valid signature one byte at a time from response timings.
public enum WebhookSignature {
    /// The length of a hex-encoded SHA-256 HMAC.
    static let hexLength = 64

    // MARK: Meta (Instagram)

    /// Checks an `X-Hub-Signature-256` header: `sha256=` followed by the hex HMAC-SHA256 of the raw
    /// body keyed with the app secret (lower- or upper-case hex).
    /// - Parameters:
    ///   - body: The raw request body.
    ///   - header: The header value, nil when absent.
    ///   - appSecret: The Meta app secret.
    /// - Returns: true only for a well-formed header whose HMAC matches; false for anything else,
    ///   including an empty app secret (anyone can compute an HMAC with an empty key).
    public static func verifyMeta(body: Data, header: String?, appSecret: String) -> Bool {
        guard let key = WebhookKey(secret: appSecret) else { return false }
        return verifyMeta(body: body, header: header, key: key)
    }

    /// Checks an `X-Hub-Signature-256` header with a key prepared once (see `verifyMeta`).
    static func verifyMeta(body: Data, header: String?, key: WebhookKey) -> Bool {
        guard let header, let mac = metaMAC(header) else { return false }
        return key.isValid(mac, of: body)
    }

    /// The MAC of a Meta signature header: `sha256=` (any case) and 64 hex digits, white space
    /// around them ignored; nil for anything else. An ASCII header (every real one) is read byte
    /// by byte: Foundation's trimming and a lowercased copy were a sixth of the webhook route's
    /// CPU.
    static func metaMAC(_ header: String) -> [UInt8]? {
        let prefix = "sha256="
        guard header.utf8.allSatisfy({ $0 < 0x80 }) else {
            let trimmed = header.trimmingCharacters(in: .whitespaces)
            guard trimmed.count == prefix.count + hexLength, trimmed.lowercased().hasPrefix(prefix) else { return nil }
            return decodeHex(trimmed.dropFirst(prefix.count))
        }
        // The ASCII white space of `CharacterSet.whitespaces`: space and tab.
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        var bytes = Array(header.utf8)[...]
        while let first = bytes.first, isBlank(first) { bytes.removeFirst() }
        while let last = bytes.last, isBlank(last) { bytes.removeLast() }
        guard bytes.count == prefix.utf8.count + hexLength,
            zip(bytes, prefix.utf8).allSatisfy({ (0x41...0x5A).contains($0) ? $0 | 0x20 == $1 : $0 == $1 })
        else { return nil }
        return decodeHex(bytes.dropFirst(prefix.utf8.count))
    }

    /// The `X-Hub-Signature-256` value Meta would send for `body`: `sha256=<lower-case hex>`.
    /// Production code only verifies; tests and tools sign.
    public static func metaSignature(body: Data, secret: String) -> String {
        "sha256=" + hex(HMAC<SHA256>.authenticationCode(for: body, using: signingKey(secret)))
    }

    // MARK: TikTok

    /// Checks a `TikTok-Signature` header: `t=<unix seconds>,s=<hex>`, where `s` is the hex
    /// HMAC-SHA256 of `"<t>." + raw body` keyed with the client secret.
    ///
    /// Elements are split on `,` and then on the first `=`; their order does not matter and
    /// unknown keys are ignored. A repeated `t` or `s` is malformed (there is no documented
    /// meaning for it). The signature is checked before the timestamp, so only a correctly signed
    /// delivery can be told it is stale.
    /// - Parameters:
    ///   - body: The raw request body.
    ///   - header: The header value, nil when absent.
    ///   - clientSecret: The TikTok app's client secret; an empty one matches nothing.
    ///   - now: The current time.
    ///   - tolerance: The largest accepted distance between `t` and `now`, either way.
    public static func verifyTikTok(
        body: Data, header: String?, clientSecret: String, now: Date, tolerance: TimeInterval = 300
    ) -> TikTokSignatureResult {
        verifyTikTok(body: body, header: header, key: WebhookKey(secret: clientSecret), now: now, tolerance: tolerance)
    }

    /// Checks a `TikTok-Signature` header with a key prepared once (see `verifyTikTok`); a nil
    /// key (no client secret) matches nothing.
    static func verifyTikTok(
        body: Data, header: String?, key: WebhookKey?, now: Date, tolerance: TimeInterval = 300
    ) -> TikTokSignatureResult {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { return .missing }
        guard let parsed = parseTikTokHeader(header) else { return .malformed }
        guard let key else { return .mismatch }
        // The timestamp is signed exactly as it was sent (digits only, checked by the parser).
        guard key.isValid(parsed.mac, of: body, after: Array(parsed.timestamp.utf8) + [UInt8(ascii: ".")]) else {
            return .mismatch
        }
        guard abs(now.timeIntervalSince1970 - Double(parsed.seconds)) <= tolerance else { return .stale }
        return .valid
    }

    /// The `TikTok-Signature` value TikTok would send for `body` at `timestamp`:
    /// `t=<timestamp>,s=<lower-case hex>`. Production code only verifies; tests and tools sign.
    public static func tiktokSignature(body: Data, secret: String, timestamp: Int64) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return "t=\(timestamp),s=" + hex(HMAC<SHA256>.authenticationCode(for: message, using: signingKey(secret)))
    }

    /// The parts of a well-formed `TikTok-Signature` header.
    struct TikTokHeader {
        /// `t` as sent (ASCII digits).
        var timestamp: String
        /// `t` as a number.
        var seconds: Int64
        /// `s` decoded from hex.
        var mac: [UInt8]
    }

    /// Parses `t=…,s=…` in any order; nil when `t` or `s` is missing, repeated or not well-formed.
    static func parseTikTokHeader(_ header: String) -> TikTokHeader? {
        var timestamp: String?
        var signature: Substring?
        for element in header.split(separator: ",", omittingEmptySubsequences: true) {
            guard let equals = element.firstIndex(of: "=") else { continue }
            let name = element[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = element[element.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "t":
                guard timestamp == nil else { return nil }
                timestamp = value
            case "s":
                guard signature == nil else { return nil }
                signature = Substring(value)
            default:
                continue
            }
        }
        // A Unix time in seconds has at most 19 digits in an Int64; more is not a timestamp.
        guard let timestamp, !timestamp.isEmpty, timestamp.count <= 19,
            timestamp.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let seconds = Int64(timestamp),
            let signature, signature.count == hexLength, let mac = decodeHex(signature)
        else { return nil }
        return TikTokHeader(timestamp: timestamp, seconds: seconds, mac: mac)
    }

    // MARK: Helpers

    /// The key the signing helpers use (verification goes through `WebhookKey`).
    private static func signingKey(_ secret: String) -> SymmetricKey {
        SymmetricKey(data: Data(secret.utf8))
    }

    /// Lower-case hex of a MAC.
    private static func hex(_ mac: HashedAuthenticationCode<SHA256>) -> String {
        var text = ""
        text.reserveCapacity(hexLength)
        for byte in mac {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return text
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")

    /// Bytes of an even-length hex string (either case); nil on any other character.
    static func decodeHex(_ text: Substring) -> [UInt8]? {
        decodeHex(text.utf8)
    }

    /// Bytes of an even number of hex digits (either case); nil on any other byte.
    static func decodeHex(_ digits: some Collection<UInt8>) -> [UInt8]? {
        let digits = Array(digits)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
