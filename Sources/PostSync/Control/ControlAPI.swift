import Foundation
import Hummingbird
import Logging

/// The control API (CONTRACT section 4) as a Hummingbird router: `ControlServer` serves it on the
/// Unix socket, tests drive it in process (`app.test(.router)`). Handlers throw `ControlError`s
/// (or the store's errors); `APIRouter` renders every error, unknown routes and methods, and
/// bodies over 1 MiB.
public struct ControlAPI: Sendable {
    /// The largest request body the control socket accepts.
    static let maxBody = 1 << 20

    let supervisor: Supervisor
    let store: any Store
    /// The token vault, for `POST /v1/tokens/rekey` (nil: the route answers 409).
    let vault: TokenVault?
    /// Connects accounts through OAuth (nil: the connect routes answer 409).
    let connect: ConnectService?
    let syncLog: SyncLogWriter
    let clock: any DaemonClock
    let startedAt: Date
    let logger: Logger

    /// Creates the API over a running daemon's parts.
    /// - Parameters:
    ///   - supervisor: Runs the accounts.
    ///   - store: Where posts are read from.
    ///   - syncLog: The SyncLog `GET /v1/logs` reads and follows.
    ///   - clock: The time new accounts are created at.
    ///   - startedAt: When the daemon started (`GET /v1/status`).
    ///   - logger: For account changes and unexpected errors.
    ///   - vault: The token vault (`POST /v1/tokens/rekey`).
    ///   - connect: The OAuth connect flows (`/v1/connect`).
    public init(
        supervisor: Supervisor, store: any Store, syncLog: SyncLogWriter, clock: any DaemonClock, startedAt: Date,
        logger: Logger, vault: TokenVault? = nil, connect: ConnectService? = nil
    ) {
        self.connect = connect
        self.supervisor = supervisor
        self.store = store
        self.vault = vault
        self.syncLog = syncLog
        self.clock = clock
        self.startedAt = startedAt
        self.logger = logger
    }

    /// The routes, under `/v1`.
    public func router() -> Router<APIRequestContext> {
        let routes = APIRouter(bodyLimit: BodyLimitMiddleware(maxBytes: Self.maxBody, name: "1 MiB"), logger: logger)
        let v1 = routes.group("v1")
        v1.get("status", use: status)
        v1.post("sync", use: syncAll)
        v1.get("logs", use: logs)
        v1.get("posts", use: posts)
        v1.post("tokens/rekey", use: rekeyTokens)
        v1.group("connect")
            .post(use: startConnect)
            .get(":id", use: connectStatus)
            .post(":id/complete", use: completeConnect)
        v1.group("accounts")
            .get(use: accounts)
            .post(use: addAccount)
            .get(":id", use: account)
            .delete(":id", use: removeAccount)
            .put(":id/auto-sync", use: setAutoSync)
            .put(":id/token", use: setToken)
            .post(":id/sync", use: syncAccount)
        return routes.router
    }

    /// `POST /v1/tokens/rekey`: re-seals every token with the key in the body, in one
    /// transaction, and seals with it from then on.
    func rekeyTokens(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<TokenRekeyResult> {
        guard let vault else { throw ControlError(code: "not_supported", message: "this daemon has no token vault", status: 409) }
        let body = try RequestBody.decode(TokenRekeyBody.self, from: context.body, fields: ["key": .string], required: ["key"])
        let key: TokenKey
        do {
            key = try TokenKey(base64: body.key)
        } catch {
            throw ControlError.invalidRequest("key: \(error.description)")
        }
        let count = try await vault.rekey(to: key)
        logger.notice("tokens re-encrypted", metadata: ["tokens.accounts": "\(count)", "tokens.key_id": "\(key.id)"])
        return JSONResponse(
            TokenRekeyResult(
                reencrypted: count, keyId: key.id,
                message: "the daemon now uses key \(key.id): point database.token_key_file at the new key file "
                    + "before the next start (the old key no longer opens the tokens)"))
    }

    /// Parses `instagram:1` or `instagram%3A1`.
    /// - Throws: `ControlError.invalidRequest` naming the id.
    static func accountID(_ text: String) throws(ControlError) -> AccountID {
        guard let id = AccountID(text) else {
            throw .invalidRequest(
                "account id \"\(text.removingPercentEncoding ?? text)\": expected instagram:<ig-user-id> or tiktok:<open_id>")
        }
        return id
    }

    /// The `{id}` of an account route, as sent (raw `:` or `%3A`).
    func accountID(_ context: APIRequestContext) throws(ControlError) -> AccountID {
        try Self.accountID(context.parameters.get("id") ?? "")
    }

    /// The account's view, or 404 `unknown_account`.
    func view(_ id: AccountID) async throws -> AccountView {
        guard let view = try await supervisor.accountViews().first(where: { $0.id == id.description }) else {
            throw ControlError.unknownAccount(id.description)
        }
        return view
    }

    /// `GET /v1/status`.
    func status(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<DaemonStatus> {
        do {
            let accounts = try await supervisor.accountViews()
            return JSONResponse(
                DaemonStatus(
                    version: PostSyncVersion.string, startedAt: startedAt,
                    nodes: await supervisor.nodes(startedAt: startedAt), accounts: accounts))
        } catch StoreError.unavailable {
            return JSONResponse(
                DaemonStatus(
                    version: PostSyncVersion.string, startedAt: startedAt, database: "unavailable",
                    nodes: await supervisor.nodes(startedAt: startedAt), accounts: await supervisor.liveAccountViews()))
        }
    }

    /// `POST /v1/sync`: queues every active account (202), or with `wait` syncs them and answers
    /// the summary.
    func syncAll(_ request: Request, context: APIRequestContext) async throws -> Response {
        guard try ControlQuery(request).flag("wait") else {
            let total = await supervisor.triggerAll(.manual)
            return try JSONResponse(SyncQueued(total: total), status: .accepted).response(from: request, context: context)
        }
        return try JSONResponse(await supervisor.syncAll(.manual)).response(from: request, context: context)
    }

    /// `GET /v1/posts`: newest first, at most `limit` (default 100, at most 10,000).
    func posts(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<[PostView]> {
        let query = ControlQuery(request)
        let account = try query.account("account")
        let since = try query.timestamp("since")
        let limit = try query.integer("limit", range: 1...10_000) ?? 100
        return JSONResponse(try await store.posts(account: account, since: since, limit: limit))
    }
}
