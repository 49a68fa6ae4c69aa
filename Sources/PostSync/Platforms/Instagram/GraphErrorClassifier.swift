import Foundation

/// Turns Meta's error codes into what the daemon does next (reference/instagram.md §3.3):
/// classify by `error.code` and `error_subcode`, not by HTTP status.
enum GraphErrorClassifier {
    /// Codes that mean "throttled" (app, user, page, custom, Instagram BUC limits).
    static let throttlingCodes: Set<Int> = [4, 17, 32, 341, 613, 80001, 80002]

    /// The `PlatformError` for a decoded Meta error.
    /// - Parameter insights: Whether the request asked for media insights: there, a plain code 100
    ///   means one metric does not apply to the media (reference/updates-2026-12.md).
    static func classify(_ error: GraphError, status: Int, retryAfter: Duration?, insights: Bool = false) -> PlatformError {
        let message = describe(error)
        switch error.code {
        case 190, 102:
            return .deadAuth(message)
        case let code where throttlingCodes.contains(code):
            return .rateLimited(retryAfter: retryAfter, message)
        case 368:
            return .rateLimited(retryAfter: retryAfter ?? .seconds(3600), message)
        case 10 where error.errorSubcode == nil, 100 where error.errorSubcode == 2_108_006:
            return .unavailable(message)
        case 100 where error.errorSubcode == nil && insights:
            // Insights: "(#100) … not supported for this media product type"; never dead auth.
            return .metricUnsupported(message)
        case 1, 2:
            return .transient(message)
        default:
            if error.isTransient == true || status >= 500 { return .transient(message) }
            return .api(message)
        }
    }

    /// `(#code/subcode) message`, Meta's message text only (it never holds the token).
    static func describe(_ error: GraphError) -> String {
        let code = error.errorSubcode.map { "\(error.code)/\($0)" } ?? "\(error.code)"
        return "Instagram error \(code): \(error.message ?? error.type ?? "no message")"
    }
}
