import Crypto
import Foundation

/// The key that seals tokens at rest (CONTRACT section 13): 32 random bytes, given base64 in
/// `database.token_key_file`. Its id, the first 8 hex characters of its SHA-256, is stored with
/// every sealed token, so a wrong key is told apart from a damaged token. Never printed: its
/// description is the id.
public struct TokenKey: Sendable, Equatable, CustomStringConvertible {
    /// The AES-256 key.
    let key: SymmetricKey
    /// First 8 hex characters of SHA-256 of the key bytes.
    public let id: String

    /// Why a key text was refused (the messages never quote it).
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// Not base64.
        case notBase64
        /// Base64 of something other than 32 bytes.
        case wrongLength(Int)

        /// A message for the configuration error.
        public var description: String {
            switch self {
            case .notBase64: "is not base64 (make one with `postsync tokens generate-key`)"
            case .wrongLength(let n): "holds \(n) bytes, not 32 (make one with `postsync tokens generate-key`)"
            }
        }
    }

    /// Reads a key from its base64 text (white space around it ignored).
    /// - Throws: `ParseError`.
    public init(base64 text: String) throws(ParseError) {
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .notBase64
        }
        guard bytes.count == 32 else { throw .wrongLength(bytes.count) }
        self.init(SymmetricKey(data: bytes))
    }

    init(_ key: SymmetricKey) {
        self.key = key
        id = key.withUnsafeBytes { SHA256.hash(data: Data($0)) }.prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// A fresh key from the system's secure random generator, as base64 (`tokens generate-key`).
    public static func generate() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// `key <id>`.
    public var description: String { "key \(id)" }

    /// Equal when the ids are (a 32-bit prefix of SHA-256 is enough to tell an operator's keys apart).
    public static func == (lhs: TokenKey, rhs: TokenKey) -> Bool { lhs.id == rhs.id }
}
