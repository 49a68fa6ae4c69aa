import Foundation
import Hummingbird
import Logging
import NIOCore
import PostSync
import ServiceLifecycle
import Synchronization

/// The CLI's side of a loopback `redirect_uri` (`http://127.0.0.1:0/callback/`): a one-shot
/// HTTP listener on 127.0.0.1 that takes the browser's redirect, hands it to `forward` (which
/// completes the attempt on the daemon) and shows the browser the outcome. Only the redirect's
/// path is served; anything else (a favicon) is a 404.
struct LoopbackRedirectListener: Sendable {
    /// What became of the redirect.
    typealias Outcome = Result<[AccountView], any Error>

    /// 127.0.0.1 or localhost, as in the redirect URI.
    let host: String
    /// The port to bind (0: any free one).
    let port: Int
    /// The redirect URI's path.
    let path: String
    /// The attempt's `state` (from its authorize URL), once known: only a redirect that carries
    /// it is forwarded, so a page that loads this URL with a code of its own gets nowhere.
    let expectedState: @Sendable () -> String?

    /// Listens, reports the bound port to `onReady`, and returns the outcome of the first
    /// redirect that carries a code or an error.
    /// - Parameter forward: Completes the attempt with the whole redirect URL.
    func run(
        onReady: @escaping @Sendable (Int) async throws -> Void,
        forward: @escaping @Sendable (String) async -> Outcome
    ) async throws -> Outcome {
        let (outcomes, continuation) = AsyncStream.makeStream(of: Outcome.self)
        let expected = path
        let host = self.host
        let handled = Handled()
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) -> Response in
            guard Self.samePath(request.uri.path, expected), let query = request.uri.query, !query.isEmpty else {
                return Self.page(status: .notFound, "Nothing here: this listener only takes postsync's OAuth redirect.")
            }
            let state = request.uri.queryParameters["state"].map(String.init)
            guard let want = expectedState(), let state, ConstantTime.equal(state, want) else {
                return Self.page(status: .badRequest, "This redirect is not the one postsync is waiting for.")
            }
            guard handled.take() else {
                return Self.page(status: .ok, "This connect was already handled; see the terminal.")
            }
            let port = request.head.authority.flatMap { $0.split(separator: ":").last.map(String.init) } ?? ""
            let outcome = await forward("http://\(host):\(port)\(request.uri.path)?\(query)")
            continuation.yield(outcome)
            switch outcome {
            case .success(let accounts): return Self.html(.ok, ConnectPage.connected(accounts))
            case .failure(let error as ControlError): return Self.html(.badRequest, ConnectPage.failed(error))
            case .failure(let error): return Self.html(.badRequest, ConnectPage.failed(.internalError("\(error)")))
            }
        }
        var logger = Logger(label: "postsync.connect")
        logger.logLevel = .critical
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "postsync-connect"),
            onServerRunning: { channel in
                do {
                    try await onReady(channel.localAddress?.port ?? port)
                } catch {
                    continuation.yield(.failure(error))
                }
            }, logger: logger)
        // A graceful shutdown (not a cancellation) lets the browser's page be written first.
        let services = ServiceGroup(
            configuration: .init(services: [.init(service: application)], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // A listener that cannot bind (port taken) ends the wait at once, not at the time-out.
                do { try await services.run() } catch { continuation.yield(.failure(error)) }
                continuation.finish()
            }
            var result: Outcome?
            for await outcome in outcomes {
                result = outcome
                break
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            guard let result else { throw CancellationError() }
            return result
        }
    }

    /// `/callback` and `/callback/` are the same redirect to a browser user; both are taken.
    private static func samePath(_ path: String, _ expected: String) -> Bool {
        func trimmed(_ text: String) -> Substring { text.hasSuffix("/") ? text.dropLast() : Substring(text) }
        return trimmed(path) == trimmed(expected)
    }

    private static func page(status: HTTPResponse.Status, _ message: String) -> Response {
        html(status, "<!doctype html><p>\(message)</p>\n")
    }

    private static func html(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Whether the one redirect was taken already (a reload of the page must not replay the code).
    private final class Handled: Sendable {
        private let taken = Mutex(false)
        func take() -> Bool {
            taken.withLock { taken in
                defer { taken = true }
                return !taken
            }
        }
    }
}
