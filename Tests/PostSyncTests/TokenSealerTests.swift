import Crypto
import Foundation
import Testing

@testable import PostSync

/// Sealing tokens at rest (CONTRACT section 13): AES-256-GCM, the account id as associated data,
/// `enc:v1:<key id>:<base64>`.
@Suite struct TokenSealerTests {
    static let keyA = try! TokenKey(base64: Data(repeating: 1, count: 32).base64EncodedString())
    static let keyB = try! TokenKey(base64: Data(repeating: 2, count: 32).base64EncodedString())
    static let alice = AccountID(platform: .tiktok, externalID: "alice")
    static let bob = AccountID(platform: .tiktok, externalID: "bob")

    /// Should round-trip, with a fresh nonce per seal, in the documented format and key id.
    @Test func roundTripAndFormat() throws {
        let sealer = TokenSealer(key: Self.keyA)
        let first = sealer.seal("act.secret-token", for: Self.alice)
        let second = sealer.seal("act.secret-token", for: Self.alice)
        #expect(first != second, "a fresh nonce per write")
        #expect(first.hasPrefix("enc:v1:\(Self.keyA.id):") && !first.contains("secret"))
        let expectedID = SHA256.hash(data: Data(repeating: 1, count: 32)).prefix(4).map { String(format: "%02x", $0) }.joined()
        #expect(Self.keyA.id == expectedID && Self.keyA.id.count == 8)
        #expect(try sealer.open(first, for: Self.alice) == "act.secret-token")
        #expect(TokenSealer.keyID(of: first) == Self.keyA.id)
        #expect(try TokenSealer(key: nil).open("plain", for: Self.alice) == "plain", "plaintext passes through")
        #expect(TokenSealer(key: nil).seal("plain", for: Self.alice) == "plain")
    }

    /// Should refuse, with a clear error and no crash, a value with one flipped byte, one moved to
    /// another account's row, one sealed with another key, and one that is not base64.
    @Test func tamperMoveAndWrongKey() throws {
        let sealer = TokenSealer(key: Self.keyA)
        let sealed = sealer.seal("act.secret-token", for: Self.alice)
        var bytes = Array(sealed.utf8)
        let index = bytes.count - 5
        bytes[index] = bytes[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: TokenSealer.OpenError.undecryptable(Self.alice)) {
            try sealer.open(String(decoding: bytes, as: UTF8.self), for: Self.alice)
        }
        #expect(throws: TokenSealer.OpenError.undecryptable(Self.bob)) { try sealer.open(sealed, for: Self.bob) }
        #expect(throws: TokenSealer.OpenError.wrongKey(expected: Self.keyA.id, given: Self.keyB.id)) {
            try TokenSealer(key: Self.keyB).open(sealed, for: Self.alice)
        }
        #expect(throws: TokenSealer.OpenError.wrongKey(expected: Self.keyA.id, given: nil)) {
            try TokenSealer(key: nil).open(sealed, for: Self.alice)
        }
        #expect(throws: TokenSealer.OpenError.malformed(Self.alice)) {
            try sealer.open("enc:v1:\(Self.keyA.id):not*base64", for: Self.alice)
        }
        #expect(throws: TokenSealer.OpenError.malformed(Self.alice), "a cut value is damaged, not another key") {
            try sealer.open("enc:v1:3f9a", for: Self.alice)
        }
        let message = TokenSealer.OpenError.wrongKey(expected: Self.keyA.id, given: Self.keyB.id).description
        #expect(message.contains(Self.keyA.id) && message.contains(Self.keyB.id))
        #expect(try TokenSealer(key: Self.keyB, alsoOpens: [Self.keyA]).open(sealed, for: Self.alice) == "act.secret-token")
    }

    /// Should accept only 32 bytes of base64 and make fresh keys of that form.
    @Test func keyParsing() throws {
        #expect(throws: TokenKey.ParseError.notBase64) { try TokenKey(base64: "not base64!") }
        #expect(throws: TokenKey.ParseError.wrongLength(16)) {
            try TokenKey(base64: Data(repeating: 0, count: 16).base64EncodedString())
        }
        let generated = TokenKey.generate()
        #expect(Data(base64Encoded: generated)?.count == 32)
        #expect(try TokenKey(base64: generated + "\n") == TokenKey(base64: generated))
        #expect(TokenKey.generate() != generated)
        #expect("\(Self.keyA)" == "key \(Self.keyA.id)", "a key prints as its id only")
    }
}
