import Foundation
import Hummingbird
import NIOCore

/// A JSON answer in the control API's coding (`ControlJSON`: sorted keys, RFC 3339 millisecond
/// dates), ending with a newline so that `curl` output ends a line.
public struct JSONResponse<Value: Encodable>: ResponseGenerator {
    /// What is encoded.
    public var value: Value
    /// The HTTP status.
    public var status: HTTPResponse.Status

    /// Creates the answer.
    /// - Parameters:
    ///   - value: The body.
    ///   - status: The HTTP status (200 unless given).
    public init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    /// Encodes the value.
    /// - Throws: An `EncodingError` (answered as 500 `internal_error`).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var data = try ControlJSON.encoder.encode(value)
        data.append(0x0A)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
