import Crypto
import Foundation

/// A webhook secret made ready for HMAC-SHA256 once.
///
/// An HMAC starts from two hash states, the padded key XORed with two constants and hashed. Making
/// them anew for each delivery (a `SymmetricKey`, two padded copies, two hash contexts) cost about
/// as much as authenticating a small delivery. A `WebhookKey` is made when the secrets are loaded
/// and copied per request: the hash states are copy-on-write, so a copy costs two context copies.
public struct WebhookKey: Sendable {
    private let keyed: HMAC<SHA256>

    /// The key of `secret`; nil for an empty secret, with which anyone can compute a valid HMAC.
    public init?(secret: String) {
        guard !secret.isEmpty else { return nil }
        keyed = HMAC(key: SymmetricKey(data: Data(secret.utf8)))
    }

    /// The HMAC-SHA256 of `prefix` followed by `message` (TikTok signs `"<t>." + body`).
    func authenticationCode(of message: Data, after prefix: [UInt8] = []) -> HashedAuthenticationCode<SHA256> {
        var mac = keyed
        if !prefix.isEmpty { mac.update(data: prefix) }
        mac.update(data: message)
        return mac.finalize()
    }

    /// Whether `expected` is the HMAC of `prefix` followed by `message`, compared in constant time
    /// (swift-crypto's `==` between a MAC and bytes is its `safeCompare`).
    func isValid(_ expected: [UInt8], of message: Data, after prefix: [UInt8] = []) -> Bool {
        authenticationCode(of: message, after: prefix) == expected
    }
}
