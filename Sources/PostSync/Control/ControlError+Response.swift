import Foundation
import Hummingbird
import NIOCore

extension ControlError: ResponseGenerator {
    /// `{"error":{"code","message"}}` and a newline: the body of an error answer, and the error
    /// line of a streamed one.
    public var jsonLine: Data {
        struct Envelope: Encodable { var error: ControlError }
        // Two strings cannot fail to encode; the fallback only keeps the signature non-throwing.
        var data =
            (try? ControlJSON.encoder.encode(Envelope(error: self)))
            ?? Data(#"{"error":{"code":"internal_error","message":""}}"#.utf8)
        data.append(0x0A)
        return data
    }

    /// The error answer: the error's status, JSON content type and `jsonLine` as the body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        // The rest of a body that was too large is still unread on the connection: close it
        // instead of reading that rest as the next request.
        if status == 413 { headers[.connection] = "close" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: jsonLine)))
    }
}
