/// An error that crosses the control API, with a stable snake_case code
/// (`{"error":{"code":"unknown_account","message":"…"}}`). Equality compares the code.
public struct ControlError: Error, Sendable, Codable, Hashable, CustomStringConvertible {
    /// The stable code scripts match on.
    public var code: String
    /// A human-readable message (never a token).
    public var message: String
    /// The HTTP status it is answered with.
    public var status: Int

    /// Creates an error.
    public init(code: String, message: String, status: Int) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// The message.
    public var description: String { message }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    enum CodingKeys: String, CodingKey { case code, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        message = try c.decode(String.self, forKey: .message)
        status = 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
    }

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
    /// 404: no such route.
    public static func notFound(_ path: String) -> Self {
        .init(code: "not_found", message: "no route \(path)", status: 404)
    }
    /// 500: something failed inside the daemon.
    public static func internalError(_ message: String) -> Self {
        .init(code: "internal_error", message: message, status: 500)
    }
}
