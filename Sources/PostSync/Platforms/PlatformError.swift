import Foundation

/// Why a platform call failed, classified by what the daemon must do next. Messages are
/// human-readable and never contain a token (request URLs are never put in them).
public enum PlatformError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The token is dead (Instagram 190/102, TikTok `invalid_grant`, an expired Facebook Login
    /// token): stop calling until a new token is set.
    case deadAuth(String)
    /// TikTok `access_token_invalid`: worth one refresh before giving up.
    case accessTokenInvalid(String)
    /// Throttled; `retryAfter` is the platform's own estimate when it gave one.
    case rateLimited(retryAfter: Duration?, String)
    /// Network failure, timeout, 5xx or a transient platform error: retry with backoff.
    case transient(String)
    /// The answer could not be decoded (truncated or malformed JSON).
    case malformed(String)
    /// A permanent API error for this request (bad parameter, missing permission).
    case api(String)
    /// Instagram code 100 on insights: one of the metrics asked does not apply to this media
    /// (never dead auth; the reader retries the metrics one by one).
    case metricUnsupported(String)
    /// The data does not exist for this object and never will (Instagram insights of media posted
    /// before the business conversion, or with too few viewers).
    case unavailable(String)

    /// The message for the SyncLog.
    public var description: String {
        switch self {
        case .deadAuth(let m): "authorization is dead, re-authorize the account: \(m)"
        case .accessTokenInvalid(let m): "access token invalid: \(m)"
        case .rateLimited(let after, let m):
            after.map { "rate limited (retry after \(Int($0.seconds))s): \(m)" } ?? "rate limited: \(m)"
        case .transient(let m): m
        case .malformed(let m): "malformed response: \(m)"
        case .api(let m): "API error: \(m)"
        case .unavailable(let m): "not available: \(m)"
        case .metricUnsupported(let m): "metric not supported for this media: \(m)"
        }
    }
}
