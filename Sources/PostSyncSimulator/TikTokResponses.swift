import Foundation

/// TikTok v2 answer shapes (reference/tiktok.md §2, §3 and tiktok-shapes.md).
enum TikTokResponses {
    /// `{"data":<data>,"error":{"code":"ok","message":"","log_id":"…"}}`.
    static func ok(_ data: JSONValue, logId: String) -> SimulatorHTTPResponse {
        .json(200, envelope(data, code: "ok", message: "", logId: logId))
    }

    /// `{"data":{},"error":{"code":<code>,"message":<message>,"log_id":"…"}}` with the documented status.
    static func error(status: Int, code: String, message: String, logId: String) -> SimulatorHTTPResponse {
        .json(status, envelope(.object([]), code: code, message: message, logId: logId))
    }

    /// HTTP 401 `access_token_invalid`, as recorded in fixtures/tiktok/user_info__err__access_token_invalid.json.
    static func accessTokenInvalid(logId: String) -> SimulatorHTTPResponse {
        error(
            status: 401, code: "access_token_invalid", message: "The access token is invalid or not found in the request.",
            logId: logId)
    }

    /// HTTP 400 `invalid_params`.
    static func invalidParams(_ message: String, logId: String) -> SimulatorHTTPResponse {
        error(status: 400, code: "invalid_params", message: message, logId: logId)
    }

    /// HTTP 429 `rate_limit_exceeded` (the body is inferred from the envelope rules; TikTok gives no example).
    static func rateLimited(logId: String) -> SimulatorHTTPResponse {
        error(
            status: 429, code: "rate_limit_exceeded", message: "The API rate limit was exceeded. Please try again later.",
            logId: logId)
    }

    /// HTTP 500 `internal_error` (fault injection).
    static func internalError(logId: String) -> SimulatorHTTPResponse {
        error(status: 500, code: "internal_error", message: "Something went wrong. Please try again later.", logId: logId)
    }

    /// OAuth errors are top-level strings, not the API envelope:
    /// `{"error":"invalid_grant","error_description":"…","log_id":"…"}`.
    ///
    /// TikTok does not document their HTTP status (legacy v1 answered 200); the simulator answers
    /// 400 (500 for `server_error`), so clients must classify by the body, as the reference advises.
    static func oauthError(_ error: String, description: String, logId: String) -> SimulatorHTTPResponse {
        let body: JSONValue = .object([
            ("error", .string(error)),
            ("error_description", .string(description)),
            ("log_id", .string(logId)),
        ])
        return .json(error == "server_error" ? 500 : 400, body)
    }

    private static func envelope(_ data: JSONValue, code: String, message: String, logId: String) -> JSONValue {
        .object([
            ("data", data),
            ("error", .object([("code", .string(code)), ("message", .string(message)), ("log_id", .string(logId))])),
        ])
    }
}
