import Crypto
import Foundation

/// Seals and opens tokens with AES-256-GCM (CONTRACT section 13): a fresh 96-bit nonce per seal,
/// the account id as associated data (a value copied to another row does not open), stored as
/// `enc:v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`. Without a key it passes plaintext
/// through. Pure apart from the random nonce.
public struct TokenSealer: Sendable {
    /// The prefix of every sealed value.
    static let prefix = "enc:v1:"

    /// The key sealing new values; nil stores plaintext.
    public let key: TokenKey?
    /// Keys that may still open older values (the previous key while a rekey is in flight).
    let readableKeys: [TokenKey]

    /// A sealer with `key`, also opening values sealed with `alsoOpens`.
    public init(key: TokenKey?, alsoOpens: [TokenKey] = []) {
        self.key = key
        readableKeys = (key.map { [$0] } ?? []) + alsoOpens
    }

    /// Why a stored value does not open.
    public enum OpenError: Error, Equatable, CustomStringConvertible {
        /// Sealed with a key this daemon does not have.
        case wrongKey(expected: String, given: String?)
        /// The key matches but the value does not authenticate: changed, cut, or moved from
        /// another account's row.
        case undecryptable(AccountID)
        /// Starts like a sealed value but is not one.
        case malformed(AccountID)

        /// A message for logs and `lastError` (never the value).
        public var description: String {
            switch self {
            case .wrongKey(let expected, let given):
                "tokens are sealed with key \(expected), but "
                    + (given.map { "database.token_key_file holds key \($0)" } ?? "no database.token_key_file is set")
                    + ": give the key file whose id is \(expected) (nothing was changed)"
            case .undecryptable(let id):
                "the stored token of \(id) does not decrypt (changed, damaged or copied from another account): "
                    + "set a new token with postsync accounts set-token"
            case .malformed(let id): "the stored token of \(id) is not a valid enc:v1 value"
            }
        }
    }

    /// The key id a stored value was sealed with, or nil for plaintext.
    public static func keyID(of stored: String) -> String? {
        guard stored.hasPrefix(prefix) else { return nil }
        let rest = stored.dropFirst(prefix.count)
        guard let colon = rest.firstIndex(of: ":") else { return "" }
        return String(rest[..<colon])
    }

    /// Seals a token for one account (plaintext when there is no key).
    public func seal(_ token: String, for account: AccountID) -> String {
        guard let key else { return token }
        // Sealing with a valid key and a fresh random nonce cannot fail.
        let box = try! AES.GCM.seal(Data(token.utf8), using: key.key, authenticating: Data(account.description.utf8))
        return Self.prefix + key.id + ":" + box.combined!.base64EncodedString()
    }

    /// Whether a key id has the form of one (8 lowercase hex characters); a damaged value's
    /// "id" is not one, and the value is then malformed, not sealed with an unknown key.
    static func isKeyID(_ id: String) -> Bool {
        id.utf8.count == 8 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Opens a stored value of one account; plaintext passes through.
    /// - Throws: `OpenError`.
    public func open(_ stored: String, for account: AccountID) throws(OpenError) -> String {
        guard let id = Self.keyID(of: stored) else { return stored }
        guard Self.isKeyID(id) else { throw .malformed(account) }
        guard let key = readableKeys.first(where: { $0.id == id }) else { throw .wrongKey(expected: id, given: self.key?.id) }
        let encoded = stored.dropFirst(Self.prefix.count + id.count + 1)
        guard let combined = Data(base64Encoded: String(encoded)), let box = try? AES.GCM.SealedBox(combined: combined) else {
            throw .malformed(account)
        }
        guard let plain = try? AES.GCM.open(box, using: key.key, authenticating: Data(account.description.utf8)) else {
            throw .undecryptable(account)
        }
        return String(decoding: plain, as: UTF8.self)
    }
}
