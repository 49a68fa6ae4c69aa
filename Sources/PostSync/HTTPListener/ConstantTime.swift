import Crypto
import Foundation

/// Constant-time comparison of secrets (their lengths may leak, their contents do not).
public enum ConstantTime {
    /// Compares two strings' SHA-256 digests byte by byte without an early exit.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(SHA256.hash(data: Data(a.utf8)))
        let y = Array(SHA256.hash(data: Data(b.utf8)))
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
