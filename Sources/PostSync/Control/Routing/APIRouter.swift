import Hummingbird
import Logging

/// A Hummingbird `Router` with what every route of the control API and the listener shares.
/// Every error a route throws, and every request no route takes, is answered with a
/// `ControlError` body (`APIErrorMiddleware`: 404 `not_found`, or 405 `method_not_allowed` when
/// the path has routes for other methods); and the request body is read whole, up to a limit,
/// before any route runs (`BodyLimitMiddleware`: 413 `too_large` beyond it). Routes are added
/// through this type, directly or in groups, so that it knows every path.
public struct APIRouter: RouterMethods {
    /// The context of every route.
    public typealias Context = APIRequestContext

    /// The router an `Application` serves (or `app.test(.router)` drives).
    public let router: Router<APIRequestContext>
    private let paths: RoutePaths

    /// Creates a router with the error answers and the body limit installed.
    /// - Parameters:
    ///   - bodyLimit: The largest body accepted, and how to name it in the 413 message.
    ///   - logger: Where errors that are not `ControlError`s are logged.
    init(bodyLimit: BodyLimitMiddleware, logger: Logger) {
        router = Router(context: APIRequestContext.self)
        paths = RoutePaths()
        // Router middleware also wraps the router's not-found answer, so both go first.
        router.add(middleware: APIErrorMiddleware(paths: paths, logger: logger))
        router.add(middleware: bodyLimit)
    }

    /// Adds a route, and remembers its path for the 404/405 decision.
    @discardableResult public func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> APIRouter where Responder.Context == APIRequestContext {
        paths.insert(path)
        router.on(path, method: method, responder: responder)
        return self
    }

    /// Adds middleware for the routes added after it.
    @discardableResult public func add(middleware: any MiddlewareProtocol<Request, Response, APIRequestContext>) -> APIRouter {
        router.add(middleware: middleware)
        return self
    }
}
