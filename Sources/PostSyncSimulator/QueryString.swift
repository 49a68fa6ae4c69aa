import Foundation

/// Parsing and building of `application/x-www-form-urlencoded` text (query strings and form bodies).
enum QueryString {
    /// Decodes `a=1&b=x%2Cy` into a dictionary; `+` means a space; the last repeated name wins.
    static func parse(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(String(parts[0]))
            guard !name.isEmpty else { continue }
            result[name] = parts.count > 1 ? decode(String(parts[1])) : ""
        }
        return result
    }

    /// Builds `a=1&b=x%2Cy` from ordered pairs, percent-encoding everything but unreserved characters.
    static func build(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes all but RFC 3986 unreserved characters (so `,` becomes `%2C` as in Meta's `next` URLs).
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static func decode(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    // Computed rather than stored so no global state has to be proven Sendable.
    private static var unreserved: CharacterSet {
        CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    }
}
