import Crypto
import Foundation

/// Proof Key for Code Exchange the way TikTok does it: a random verifier of unreserved
/// characters, and a challenge that is the **lowercase hex** SHA-256 of it (TikTok's deviation
/// from RFC 7636, whose challenge is base64url; TikTok's own SDK formats `%02x`).
enum PKCE {
    /// The characters RFC 7636 allows in a verifier.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// A verifier of `length` (43–128) characters, from the system's CSPRNG unless tests pass
    /// another generator.
    static func verifier(length: Int = 64, using random: inout some RandomNumberGenerator) -> String {
        precondition((43...128).contains(length), "a PKCE verifier has 43 to 128 characters")
        return String((0..<length).map { _ in alphabet[Int(random.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// TikTok's `code_challenge`: lowercase hex SHA-256 of the verifier.
    static func challenge(for verifier: String) -> String {
        SHA256.hash(data: Data(verifier.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Random, unguessable identifiers of connect attempts.
enum ConnectRandom {
    /// `bytes` random bytes as base64url without padding (32 bytes: 256 bits, 43 characters).
    static func token(bytes: Int = 32, using random: inout some RandomNumberGenerator) -> String {
        var data = Data(count: bytes)
        for index in 0..<bytes { data[index] = UInt8.random(in: 0...255, using: &random) }
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
