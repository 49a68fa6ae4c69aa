import Foundation

/// A transport-neutral HTTP response produced by `SimulatorWorld.handle(_:)`.
public struct SimulatorHTTPResponse: Sendable, Equatable {
    /// HTTP status code.
    public var status: Int
    /// Header values by name.
    public var headers: [String: String]
    /// Body bytes.
    public var body: Data
    /// Injected latency: the server waits this long before answering (the world never sleeps).
    public var delayMs: Int

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: Data = Data(), delayMs: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delayMs = delayMs
    }

    /// The body as UTF-8 text (handy in tests).
    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }

    /// A JSON response built from a `JSONValue`.
    static func json(_ status: Int, _ value: JSONValue, escapeSlashes: Bool = false, headers: [String: String] = [:]) -> Self {
        var allHeaders = headers
        allHeaders["Content-Type"] = escapeSlashes ? "application/json; charset=UTF-8" : "application/json"
        return .init(status: status, headers: allHeaders, body: value.data(escapeSlashes: escapeSlashes))
    }

    /// A JSON response built from an `Encodable` value, dates in ISO 8601 (used by `/_sim/`).
    static func encoded(_ status: Int, _ value: some Encodable) -> Self {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own plain models cannot fail; an empty object keeps the answer valid JSON anyway.
        let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return .init(status: status, headers: ["Content-Type": "application/json"], body: body)
    }
}
