import Foundation
import Logging

/// The control API's routes (CONTRACT section 4), as a function from request to response so
/// they can be tested without a socket. `ControlServer` serves it on the Unix socket.
public struct ControlAPI: Sendable {
    let supervisor: Supervisor
    let store: Store
    let syncLog: SyncLogWriter
    let startedAt: Date
    let logger: Logger

    /// Creates the API over a running daemon's parts.
    public init(supervisor: Supervisor, store: Store, syncLog: SyncLogWriter, startedAt: Date, logger: Logger) {
        self.supervisor = supervisor
        self.store = store
        self.syncLog = syncLog
        self.startedAt = startedAt
        self.logger = logger
    }

    /// Answers one request. Never throws: every failure is an error answer with a stable code.
    public func handle(_ request: ControlRequest) async -> ControlResponse {
        do {
            return try await route(request)
        } catch let error as ControlError {
            return .error(error)
        } catch let error as StoreError {
            switch error {
            case .unknownAccount(let id): return .error(.unknownAccount(id.description))
            case .accountExists(let id): return .error(.accountExists(id.description))
            case .corrupt: return .error(.internalError("\(error)"))
            }
        } catch {
            logger.error("control request failed", metadata: ["http.path": "\(request.path)", "error": "\(error)"])
            return .error(.internalError("the daemon could not complete the request: \(error)"))
        }
    }

    private func route(_ request: ControlRequest) async throws -> ControlResponse {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.first == "v1" else { throw ControlError.notFound(request.path) }
        let rest = Array(parts.dropFirst())
        guard (1...3).contains(rest.count) else { throw ControlError.notFound(request.path) }
        let resource = rest[0]
        let id = rest.count > 1 ? rest[1] : nil
        let action = rest.count > 2 ? rest[2] : nil
        switch (request.method, resource, id, action) {
        case ("GET", "status", nil, nil): return try await status()
        case ("GET", "accounts", nil, nil): return .json(try await supervisor.accountViews())
        case ("POST", "accounts", nil, nil): return try await addAccount(request)
        case ("GET", "accounts", let id?, nil): return .json(try await view(try accountID(id)))
        case ("DELETE", "accounts", let id?, nil): return try await removeAccount(try accountID(id), request)
        case ("PUT", "accounts", let id?, "auto-sync"): return try await setAutoSync(try accountID(id), request)
        case ("PUT", "accounts", let id?, "token"): return try await setToken(try accountID(id), request)
        case ("POST", "accounts", let id?, "sync"): return try await syncAccount(try accountID(id), request)
        case ("POST", "sync", nil, nil): return try await syncAll(request)
        case ("GET", "logs", nil, nil): return try logs(request)
        case ("GET", "posts", nil, nil): return try posts(request)
        case (_, "status", nil, nil), (_, "accounts", nil, nil), (_, "accounts", _?, nil), (_, "accounts", _?, "auto-sync"),
            (_, "accounts", _?, "token"), (_, "accounts", _?, "sync"), (_, "sync", nil, nil), (_, "logs", nil, nil),
            (_, "posts", nil, nil):
            throw ControlError(code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path)", status: 405)
        default:
            throw ControlError.notFound(request.path)
        }
    }

    /// Parses `instagram:1` or `instagram%3A1`.
    func accountID(_ text: String) throws(ControlError) -> AccountID {
        guard let id = AccountID(text) else {
            throw .invalidRequest("account id \"\(text.removingPercentEncoding ?? text)\": expected instagram:<ig-user-id> or tiktok:<open_id>")
        }
        return id
    }

    /// The account's view, or 404.
    func view(_ id: AccountID) async throws -> AccountView {
        guard let view = try await supervisor.accountViews().first(where: { $0.id == id.description }) else {
            throw ControlError.unknownAccount(id.description)
        }
        return view
    }

    private func status() async throws -> ControlResponse {
        struct Status: Encodable {
            var version: String
            var startedAt: Date
            var accounts: [AccountView]
        }
        return .json(Status(version: PostSyncVersion.string, startedAt: startedAt, accounts: try await supervisor.accountViews()))
    }

    /// `true`/`false` query flags; anything else is a 400 naming the parameter.
    func flag(_ request: ControlRequest, _ name: String) throws(ControlError) -> Bool {
        switch request.query[name] {
        case nil, "false", "0": return false
        case "true", "1", "": return true
        case let other?: throw .invalidRequest("\(name): \"\(other)\" is not true or false")
        }
    }

    /// A positive integer query parameter.
    func integer(_ request: ControlRequest, _ name: String, range: ClosedRange<Int>) throws(ControlError) -> Int? {
        guard let text = request.query[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidRequest("\(name): \"\(text)\" must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A timestamp query parameter.
    func timestamp(_ request: ControlRequest, _ name: String) throws(ControlError) -> Date? {
        guard let text = request.query[name] else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw .invalidRequest("\(name): \"\(text)\" is not an RFC 3339 timestamp")
        }
        return date
    }
}
