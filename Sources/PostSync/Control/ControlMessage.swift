import Foundation

/// A control API request, independent of the HTTP server (so routes are testable without sockets).
public struct ControlRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    public var method: String
    /// The path, possibly percent-encoded (`/v1/accounts/instagram%3A1`).
    public var path: String
    /// Decoded query parameters.
    public var query: [String: String]
    /// The raw body.
    public var body: Data

    /// Creates a request.
    public init(method: String, path: String, query: [String: String] = [:], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }
}

/// A control API answer: JSON bytes, or an NDJSON stream written as it goes.
public struct ControlResponse: Sendable {
    /// Writes one chunk of a streamed body.
    public typealias ChunkWriter = @Sendable (Data) async throws -> Void

    /// What the body is.
    public enum Body: Sendable {
        /// A complete body.
        case data(Data)
        /// A body produced over time (`GET /v1/logs?follow=true`).
        case stream(@Sendable (_ write: ChunkWriter) async throws -> Void)
    }

    /// HTTP status.
    public var status: Int
    /// `Content-Type`.
    public var contentType: String
    /// The body.
    public var body: Body

    /// A JSON answer.
    public static func json(_ value: some Encodable, status: Int = 200) -> ControlResponse {
        do {
            var data = try ControlJSON.encoder.encode(value)
            data.append(0x0A)
            return ControlResponse(status: status, contentType: "application/json", body: .data(data))
        } catch {
            return .error(.internalError("answer could not be encoded"))
        }
    }

    /// An error answer: `{"error":{"code","message"}}`.
    public static func error(_ error: ControlError) -> ControlResponse {
        struct Envelope: Encodable { var error: ControlError }
        var data = (try? ControlJSON.encoder.encode(Envelope(error: error))) ?? Data(#"{"error":{"code":"internal_error","message":""}}"#.utf8)
        data.append(0x0A)
        return ControlResponse(status: error.status, contentType: "application/json", body: .data(data))
    }

    /// 204 with no body.
    public static let noContent = ControlResponse(status: 204, contentType: "application/json", body: .data(Data()))
}

/// The control API's JSON coding: RFC 3339 millisecond dates, sorted keys (stable for people and diffs).
public enum ControlJSON {
    /// The encoder.
    public static var encoder: JSONEncoder {
        let encoder = JSONCoding.encoder()
        encoder.outputFormatting.insert(.sortedKeys)
        return encoder
    }
}
