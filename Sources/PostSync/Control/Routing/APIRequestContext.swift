import Foundation
import Hummingbird

/// The request context of the control socket and the HTTP listener: Hummingbird's per-request
/// storage, the peer (for logs) and the whole request body, which `BodyLimitMiddleware` reads
/// before any route runs (webhook signatures cover these exact bytes).
public struct APIRequestContext: RequestContext {
    /// Hummingbird's per-request storage (route parameters, logger).
    public var coreContext: CoreRequestContextStorage
    /// The peer's address, `-` when unknown.
    public let remoteAddress: String
    /// The raw request body; empty until `BodyLimitMiddleware` has read it.
    public internal(set) var body = Data()

    /// Creates the context of one request.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.description ?? "-"
    }
}
