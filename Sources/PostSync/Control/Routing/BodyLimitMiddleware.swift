import Foundation
import Hummingbird
import NIOCore

/// Reads the whole request body into the context before any route runs, up to a limit; a larger
/// body is a 413 `too_large` whatever the route (a webhook's signature is not even looked at).
/// A `Content-Length` over the limit is refused before a byte of the body is read.
struct BodyLimitMiddleware: RouterMiddleware {
    /// The context of every route.
    typealias Context = APIRequestContext

    /// The largest body accepted, in bytes.
    let maxBytes: Int
    /// The limit as the 413 message names it (`http.max_body`).
    let name: String

    /// Reads the body into `context.body`, or throws `ControlError.tooLarge`.
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // Made only when thrown: every request passes here, `/healthz` too.
        var tooLarge: ControlError { .tooLarge("body exceeds \(name)") }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes { throw tooLarge }
        var request = request
        var context = context
        do {
            context.body = Data(try await request.collectBody(upTo: maxBytes).readableBytesView)
        } catch is NIOTooManyBytesError {
            // Chunked, or a Content-Length that understated the body.
            throw tooLarge
        }
        return try await next(request, context)
    }
}
