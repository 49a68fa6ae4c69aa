import Foundation

/// The stable identifier of an account: `instagram:<ig-user-id>` or `tiktok:<open_id>`.
public struct AccountID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The platform the account belongs to.
    public let platform: Platform
    /// The platform's own id (IG user id or TikTok open_id).
    public let externalID: String

    /// Creates an id from its two parts.
    public init(platform: Platform, externalID: String) {
        self.platform = platform
        self.externalID = externalID
    }

    /// Parses `platform:external-id`; accepts a percent-encoded `:` (`%3A`). Returns nil when malformed.
    public init?(_ text: String) {
        let decoded = text.removingPercentEncoding ?? text
        guard let colon = decoded.firstIndex(of: ":"),
            let platform = Platform(rawValue: String(decoded[..<colon]))
        else { return nil }
        let external = String(decoded[decoded.index(after: colon)...])
        guard !external.isEmpty else { return nil }
        self.init(platform: platform, externalID: external)
    }

    /// The wire form, `platform:external-id`.
    public var description: String { "\(platform.rawValue):\(externalID)" }

    public static func < (lhs: AccountID, rhs: AccountID) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = AccountID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an account id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
