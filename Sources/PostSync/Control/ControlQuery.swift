import Foundation
import Hummingbird

/// The query parameters of a control API request, read strictly: a value a parameter cannot
/// take is a 400 `invalid_request` naming the parameter. Values arrive percent-decoded; a
/// repeated name keeps its last value.
struct ControlQuery: Sendable {
    private let values: [String: String]

    /// The parameters of `request`.
    init(_ request: Request) {
        var values: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { values[String(name)] = String(value) }
        self.values = values
    }

    /// The raw value of a parameter.
    subscript(name: String) -> String? { values[name] }

    /// A `true`/`false` flag (also `1`/`0`, and a bare `?name`); absent is false.
    func flag(_ name: String) throws(ControlError) -> Bool {
        switch values[name] {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        case let other?: throw .invalidRequest("\(name): \"\(other)\" is not true or false")
        }
    }

    /// An integer within `range`, nil when absent.
    func integer(_ name: String, range: ClosedRange<Int>) throws(ControlError) -> Int? {
        guard let text = values[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidRequest("\(name): \"\(text)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// An RFC 3339 timestamp, nil when absent.
    func timestamp(_ name: String) throws(ControlError) -> Date? {
        guard let text = values[name] else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw .invalidRequest("\(name): \"\(text)\" is not an RFC 3339 timestamp")
        }
        return date
    }

    /// An account id (`instagram:1` or `instagram%3A1`), nil when absent.
    func account(_ name: String) throws(ControlError) -> AccountID? {
        try values[name].map { text throws(ControlError) in try ControlAPI.accountID(text) }
    }

    /// A value of a `String` enum, nil when absent.
    /// - Parameter expected: How the message lists the values (`instagram or tiktok`).
    func value<T: RawRepresentable>(_ name: String, as type: T.Type, expected: String) throws(ControlError) -> T?
    where T.RawValue == String {
        guard let text = values[name] else { return nil }
        guard let value = T(rawValue: text) else { throw .invalidRequest("\(name): \"\(text)\" is not \(expected)") }
        return value
    }
}
