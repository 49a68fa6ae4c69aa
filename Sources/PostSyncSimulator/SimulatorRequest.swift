import Foundation

/// One platform request the simulator answered, as kept in the request log.
///
/// Admin requests under `/_sim/` are not logged: the log shows what the daemon did to the platforms.
public struct SimulatorRequest: Sendable, Codable, Equatable {
    /// When the request was answered (whole seconds).
    public var at: Date
    /// HTTP method (`GET`, `POST`).
    public var method: String
    /// Path without the query string (queries carry tokens).
    public var path: String
    /// Stable endpoint name, e.g. `instagram.media`, `tiktok.video.list` (see `SimulatorRoute`).
    public var endpoint: String
    /// `"instagram:<id>"` or `"tiktok:<open_id>"` when the token identified an account.
    public var accountId: String?
    /// HTTP status of the answer.
    public var status: Int
    /// Whether the query string carried an `access_token` (the token itself is not kept), so
    /// that tests can check which calls keep tokens out of URLs.
    public var tokenInQuery: Bool

    /// Creates a log entry.
    public init(
        at: Date, method: String, path: String, endpoint: String, accountId: String?, status: Int,
        tokenInQuery: Bool = false
    ) {
        self.at = at
        self.method = method
        self.path = path
        self.endpoint = endpoint
        self.accountId = accountId
        self.status = status
        self.tokenInQuery = tokenInQuery
    }
}
