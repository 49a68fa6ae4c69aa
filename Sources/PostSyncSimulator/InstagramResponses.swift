import Foundation

/// Instagram Graph API answer shapes (reference/instagram.md §3.3, §4.1).
enum InstagramResponses {
    /// The header name Instagram's Business Use Case rate limiting reports usage in.
    static let usageHeader = "X-Business-Use-Case-Usage"

    /// A success body with the usage header.
    static func ok(_ body: JSONValue, usage: String?) -> SimulatorHTTPResponse {
        var headers: [String: String] = [:]
        if let usage { headers[usageHeader] = usage }
        return .json(200, body, escapeSlashes: true, headers: headers)
    }

    /// `{"error":{"message","type","code","error_subcode"?,"is_transient"?,"fbtrace_id"}}`.
    static func error(
        status: Int,
        code: Int,
        subcode: Int? = nil,
        message: String,
        type: String = "OAuthException",
        isTransient: Bool? = nil,
        traceId: String,
        usage: String? = nil
    ) -> SimulatorHTTPResponse {
        var members: [(String, JSONValue)] = [("message", .string(message)), ("type", .string(type)), ("code", .int(code))]
        if let subcode { members.append(("error_subcode", .int(subcode))) }
        if let isTransient { members.append(("is_transient", .bool(isTransient))) }
        members.append(("fbtrace_id", .string(traceId)))
        var headers: [String: String] = [:]
        if let usage { headers[usageHeader] = usage }
        // Meta also sends the Graph error in this header; clients sometimes read it there.
        headers["WWW-Authenticate"] =
            "OAuth \"Facebook Platform\" \"\(code == 190 ? "invalid_token" : "invalid_request")\" \"\(message)\""
        return .json(status, .object([("error", .object(members))]), escapeSlashes: true, headers: headers)
    }

    /// Expired token: code 190, subcode 463, Meta's own wording.
    static func expired(at expiry: Date, now: Date, traceId: String) -> SimulatorHTTPResponse {
        error(
            status: 400, code: 190, subcode: 463,
            message: "Error validating access token: Session has expired on \(PlatformTime.metaSessionText(expiry)). "
                + "The current time is \(PlatformTime.metaSessionText(now)).",
            traceId: traceId
        )
    }

    /// Revoked token. Meta reports a password change or de-authorisation with this message; the
    /// subcode is 467 ("invalid access token") as the daemon's contract expects for dead tokens.
    static func revoked(traceId: String) -> SimulatorHTTPResponse {
        error(
            status: 400, code: 190, subcode: 467,
            message: "Error validating access token: The session has been invalidated because the user changed "
                + "their password or Facebook has changed the session for security reasons.",
            traceId: traceId
        )
    }

    /// Unknown token, or a token of another account than the one in the path: 190 / 467.
    static func invalid(_ detail: String, traceId: String) -> SimulatorHTTPResponse {
        error(status: 400, code: 190, subcode: 467, message: "Error validating access token: \(detail)", traceId: traceId)
    }

    /// No `access_token` at all: Graph answers code 2500 rather than 190.
    static func missingToken(traceId: String) -> SimulatorHTTPResponse {
        error(
            status: 400, code: 2500, message: "An active access token must be used to query information about the current user.",
            traceId: traceId)
    }

    /// Invalid parameter (unknown field or metric, bad cursor): code 100.
    static func invalidParameter(_ message: String, subcode: Int? = nil, traceId: String) -> SimulatorHTTPResponse {
        error(status: 400, code: 100, subcode: subcode, message: message, traceId: traceId)
    }

    /// An object that does not exist or is not visible to the token: code 100, subcode 33.
    static func unsupportedGet(objectId: String, traceId: String) -> SimulatorHTTPResponse {
        invalidParameter(
            "Unsupported get request. Object with ID '\(objectId)' does not exist, cannot be loaded due to missing "
                + "permissions, or does not support this operation. Please read the Graph API documentation at "
                + "https://developers.facebook.com/docs/graph-api",
            subcode: 33, traceId: traceId
        )
    }

    /// Transient server error (fault injection): HTTP 500, code 2, `is_transient`.
    static func serverError(traceId: String) -> SimulatorHTTPResponse {
        error(
            status: 500, code: 2, message: "An unexpected error has occurred. Please retry your request later.",
            isTransient: true, traceId: traceId
        )
    }

    /// Business Use Case throttling: code 80002 with the usage header at 100 % (Meta uses HTTP 400/403).
    static func rateLimited(accountId: String?, traceId: String) -> SimulatorHTTPResponse {
        error(
            status: 400, code: 80002,
            message: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
            isTransient: true, traceId: traceId,
            usage: accountId.map { usageValue(accountId: $0, percent: 100, minutesToRegain: 1) } ?? "{}"
        )
    }

    /// `{"<ig-user-id>":[{"type":"instagram","call_count":N,"total_cputime":N,"total_time":N,"estimated_time_to_regain_access":M}]}`.
    static func usageValue(accountId: String, percent: Int, minutesToRegain: Int) -> String {
        let entry: JSONValue = .object([
            ("type", .string("instagram")),
            ("call_count", .int(percent)),
            ("total_cputime", .int(percent == 100 ? 100 : percent / 2)),
            ("total_time", .int(percent == 100 ? 100 : percent / 3)),
            ("estimated_time_to_regain_access", .int(minutesToRegain)),
        ])
        return JSONValue.object([(accountId, .array([entry]))]).serialized()
    }
}
