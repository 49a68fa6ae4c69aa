import Foundation

/// A transport-neutral HTTP request, so the world can be driven with or without a socket.
public struct SimulatorHTTPRequest: Sendable {
    /// Upper-case method, e.g. `GET`.
    public var method: String
    /// Percent-encoded path without the query string.
    public var path: String
    /// Decoded query parameters (the last value wins for a repeated name).
    public var query: [String: String]
    /// Header values by lower-cased name.
    public var headers: [String: String]
    /// Raw body bytes.
    public var body: Data
    /// `host[:port]` the client addressed (used to build absolute `paging.next` URLs).
    public var host: String?

    /// Creates a request from already separated parts.
    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: Data = Data(),
        host: String? = nil
    ) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers {
            lowered[name.lowercased()] = value
        }
        self.headers = lowered
        self.body = body
        self.host = host
    }

    /// Creates a request from a request target such as `/v25.0/me/media?fields=id&limit=2`.
    public init(
        method: String,
        target: String,
        headers: [String: String] = [:],
        body: Data = Data(),
        host: String? = nil
    ) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? "/"
        let query = parts.count > 1 ? QueryString.parse(String(parts[1])) : [:]
        self.init(method: method, path: path, query: query, headers: headers, body: body, host: host)
    }

    /// The body parsed as `application/x-www-form-urlencoded`.
    var formFields: [String: String] {
        QueryString.parse(String(decoding: body, as: UTF8.self))
    }

    /// The token of an `Authorization: Bearer <token>` header.
    /// The Graph API access token: `Authorization: Bearer` (media, insights, `/me`), else the
    /// `access_token` query parameter, as Graph accepts both.
    var graphAccessToken: String? {
        bearerToken ?? query["access_token"]
    }

    var bearerToken: String? {
        guard let value = headers["authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
