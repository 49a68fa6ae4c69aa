/// The one error that crosses the control API and the HTTP listener, with a stable snake_case
/// code (`{"error":{"code":"unknown_account","message":"…"}}`). Every error answer of both
/// routers is one of these (`APIErrorMiddleware` maps anything else onto it), and the CLI reads
/// it back. Equality compares the code.
public struct ControlError: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    /// The stable code scripts match on.
    public var code: String
    /// A human-readable message (never a token).
    public var message: String
    /// The HTTP status it is answered with.
    public var status: Int

    /// Creates an error.
    /// - Parameters:
    ///   - code: The stable snake_case code.
    ///   - message: What went wrong, for people.
    ///   - status: The HTTP status of the answer.
    public init(code: String, message: String, status: Int) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// The message.
    public var description: String { message }

    /// Equal when the codes are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    enum CodingKeys: String, CodingKey { case code, message }

    /// Decodes `{"code","message"}`; the status is not on the wire (the CLI sets it from the answer).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        message = try c.decode(String.self, forKey: .message)
        status = 0
    }

    /// Encodes `{"code","message"}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
    }

    // MARK: Control API

    /// 404: no such account.
    public static func unknownAccount(_ id: String) -> Self {
        .init(code: "unknown_account", message: "no account \(id)", status: 404)
    }
    /// 409: the account exists already.
    public static func accountExists(_ id: String) -> Self {
        .init(code: "account_exists", message: "account \(id) already exists", status: 409)
    }
    /// 400: the request is malformed; the message names the field.
    public static func invalidRequest(_ message: String) -> Self {
        .init(code: "invalid_request", message: message, status: 400)
    }
    /// 409: the account's token is dead.
    public static func needsReauth(_ id: String) -> Self {
        .init(code: "needs_reauth", message: "account \(id) needs re-authorization: set a new token first", status: 409)
    }
    /// 503: the daemon is starting or stopping.
    public static func notReady(_ message: String) -> Self {
        .init(code: "not_ready", message: message, status: 503)
    }
    /// The database cannot be reached now (CONTRACT section 9); try again when it is back.
    public static func databaseUnavailable(_ message: String) -> ControlError {
        .init(code: "database_unavailable", message: message, status: 503)
    }

    /// A line inside a followed `GET /v1/logs` answer (whose status, 200, was sent long before):
    /// the reader fell too far behind and the stream ends.
    public static func overflow(afterSeq: Int64) -> Self {
        .init(code: "overflow", message: "reader too slow: reconnect with afterSeq=\(afterSeq)", status: 503)
    }

    // MARK: Connect (CONTRACT section 11)

    /// 404: no such connect attempt (or it was forgotten after it expired).
    public static func unknownConnect(_ id: String) -> Self {
        .init(code: "unknown_connect", message: "no connect attempt \(id)", status: 404)
    }
    /// 410: the attempt's 10 minutes are over; start `postsync connect` again.
    public static var connectExpired: Self {
        .init(
            code: "connect_expired", message: "this connect attempt expired (they live 10 minutes): run postsync connect again",
            status: 410)
    }
    /// 400: the `state` is not this attempt's, or the attempt was already completed.
    public static var stateMismatch: Self {
        .init(
            code: "state_mismatch",
            message: "the state does not match a pending connect attempt (it is single use; run postsync connect again)",
            status: 400)
    }
    /// 400: the platform refused (its `error` and `error_description`), or the user denied.
    public static func oauthError(_ platform: Platform, _ error: String, _ description: String?) -> Self {
        let detail = description.map { $0.isEmpty ? "" : ": \($0)" } ?? ""
        return .init(code: "oauth_error", message: "\(platform): \(error)\(detail)", status: 400)
    }
    /// 409: connecting needs a configuration key that is not set.
    public static func notConfigured(_ key: String, _ why: String) -> Self {
        .init(code: "not_configured", message: "\(key) is not set: \(why)", status: 409)
    }
    /// 502: the platform could not be reached, or answered something unreadable.
    public static func platformUnavailable(_ message: String) -> Self {
        .init(code: "platform_unavailable", message: message, status: 502)
    }

    // MARK: HTTP listener

    /// 401: a webhook delivery's signature is missing, stale or wrong.
    public static func badSignature(_ message: String) -> Self {
        .init(code: "bad_signature", message: message, status: 401)
    }
    /// 401: the bearer token is missing or wrong.
    public static func unauthorized(_ message: String) -> Self {
        .init(code: "unauthorized", message: message, status: 401)
    }
    /// 403: the request is understood and refused.
    public static func forbidden(_ message: String) -> Self {
        .init(code: "forbidden", message: message, status: 403)
    }
    /// 404: a route that exists but is turned off by the configuration.
    public static func disabled(_ message: String) -> Self {
        .init(code: "not_found", message: message, status: 404)
    }

    // MARK: Both routers

    /// 404: no such route.
    public static func notFound(_ path: String) -> Self {
        .init(code: "not_found", message: "no route \(path)", status: 404)
    }
    /// 405: the path exists, not with this method.
    public static func methodNotAllowed(_ method: String, _ path: String) -> Self {
        .init(code: "method_not_allowed", message: "\(method) is not allowed on \(path)", status: 405)
    }
    /// 413: the request body is larger than the server accepts.
    public static func tooLarge(_ message: String) -> Self {
        .init(code: "too_large", message: message, status: 413)
    }
    /// 500: something failed inside the daemon.
    public static func internalError(_ message: String) -> Self {
        .init(code: "internal_error", message: message, status: 500)
    }
}
