import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import PostSync

// Helpers of the in-process router tests (`ControlRouterTests`, `HTTPListenerRouterTests`).

extension TestClientProtocol {
    /// Sends one request; `body` is sent as is (the test framework adds its Content-Length).
    func send(
        _ method: HTTPRequest.Method, _ uri: String, body: String? = nil, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// Sends one request with a binary body.
    func send(_ method: HTTPRequest.Method, _ uri: String, data: Data, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: data))
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }

    /// The body as bytes.
    var data: Data { Data(body.readableBytesView) }

    /// The `Content-Type` header.
    var contentType: String { headers[.contentType] ?? "" }

    /// The body decoded with the daemon's date format.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONCoding.decoder().decode(T.self, from: data)
    }

    /// The body's lines, for NDJSON answers.
    var lines: [String] { text.split(separator: "\n").map(String.init) }
}

/// Expects an error answer: `status`, JSON, a body that is exactly `{"error":{"code","message"}}`
/// and ends with a newline, with `code`, and a message that contains `naming` when given.
func expectError(
    _ response: TestResponse, _ status: HTTPResponse.Status, _ code: String, naming: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.contentType == "application/json", sourceLocation: sourceLocation)
    #expect(response.text.hasSuffix("}\n"), sourceLocation: sourceLocation)
    let object = (try? JSONSerialization.jsonObject(with: response.data)) as? [String: Any]
    let error = object?["error"] as? [String: Any]
    #expect(object?.keys.sorted() == ["error"], "\(response.text)", sourceLocation: sourceLocation)
    #expect(error?.keys.sorted() == ["code", "message"], "\(response.text)", sourceLocation: sourceLocation)
    #expect(error?["code"] as? String == code, "\(response.text)", sourceLocation: sourceLocation)
    if let naming {
        #expect((error?["message"] as? String)?.contains(naming) == true, "\(response.text)", sourceLocation: sourceLocation)
    }
}
