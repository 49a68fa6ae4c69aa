import Hummingbird
import Logging

/// Answers every error of a route, of the other middleware and of the router itself with the
/// one error body, `ControlError`, so that handlers throw what they mean and no status or error
/// body is written anywhere else. Errors that are not `ControlError`s are mapped here: the
/// store's to their codes, the router's "no route" to 404 `not_found` or 405
/// `method_not_allowed`, a body over a limit to 413 `too_large`, anything else to 500
/// `internal_error` (and logged).
struct APIErrorMiddleware: RouterMiddleware {
    /// The context of every route.
    typealias Context = APIRequestContext

    /// The router's paths, to tell 405 from 404.
    let paths: RoutePaths
    /// Where unexpected errors go.
    let logger: Logger

    /// Runs the rest of the chain and turns what it throws into an error answer.
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try controlError(for: error, request).response(from: request, context: context)
        }
    }

    /// The `ControlError` an error is answered with.
    func controlError(for error: any Error, _ request: Request) -> ControlError {
        switch error {
        case let error as ControlError:
            return error
        case let error as StoreError:
            switch error {
            case .unknownAccount(let id): return .unknownAccount(id.description)
            case .accountExists(let id): return .accountExists(id.description)
            case .unavailable: return .databaseUnavailable("\(error)")
            case .corrupt, .database, .schemaTooNew, .leaseLost: return .internalError("\(error)")
            }
        case let error as HTTPError where error.status == .notFound:
            // Thrown by the router itself: no route has this path and method.
            let path = request.uri.path
            return paths.contains(path) ? .methodNotAllowed(request.method.rawValue, path) : .notFound(path)
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return .tooLarge("request body too large")
        default:
            logger.error(
                "request failed",
                metadata: ["http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)", "error": "\(error)"])
            return .internalError("the daemon could not complete the request: \(error)")
        }
    }
}
