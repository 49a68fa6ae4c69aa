import Foundation

extension ControlAPI {
    /// Fields of `POST /v1/accounts` (and, minus platform and id, of `PUT …/token`).
    static let accountFields: [String: RequestBody.Kind] = [
        "platform": .string, "externalId": .string, "accessToken": .string, "refreshToken": .string,
        "expiresAt": .timestamp, "refreshExpiresAt": .timestamp, "username": .string, "login": .string,
        "autoSync": .bool, "issuedAt": .timestamp,
    ]

    func addAccount(_ request: ControlRequest) async throws -> ControlResponse {
        let new = try RequestBody.decode(
            NewAccount.self, from: request.body, fields: Self.accountFields, required: ["platform", "externalId", "accessToken"])
        let record = try new.record(now: Date())
        let view = try await supervisor.addAccount(record)
        logger.info("account added", metadata: ["account.id": "\(record.id)"])
        return .json(view, status: 201)
    }

    func removeAccount(_ id: AccountID, _ request: ControlRequest) async throws -> ControlResponse {
        let keepPosts = try flag(request, "keepPosts")
        try await supervisor.removeAccount(id, keepPosts: keepPosts)
        logger.info("account removed", metadata: ["account.id": "\(id)", "keep_posts": "\(keepPosts)"])
        return .noContent
    }

    func setAutoSync(_ id: AccountID, _ request: ControlRequest) async throws -> ControlResponse {
        struct Body: Decodable { var enabled: Bool }
        let body = try RequestBody.decode(Body.self, from: request.body, fields: ["enabled": .bool], required: ["enabled"])
        try await supervisor.setAutoSync(id, enabled: body.enabled)
        return .json(try await view(id))
    }

    func setToken(_ id: AccountID, _ request: ControlRequest) async throws -> ControlResponse {
        var fields = Self.accountFields
        for key in ["username", "login", "autoSync"] { fields.removeValue(forKey: key) }
        // The token body carries no platform or id; accept them only when they match the path.
        var object = try RequestBody.decode(TokenBody.self, from: request.body, fields: fields, required: ["accessToken"])
        if let platform = object.platform, platform != id.platform { throw ControlError.invalidRequest("platform: does not match \(id)") }
        if let external = object.externalId, external != id.externalID { throw ControlError.invalidRequest("externalId: does not match \(id)") }
        object.platform = id.platform
        let token = try object.newAccount.validated(for: id.platform)
        if id.platform == .instagram, token.refreshToken != nil {
            throw ControlError.invalidRequest("refreshToken: Instagram tokens have no refresh token")
        }
        try await supervisor.replaceTokens(id, token)
        logger.info("token replaced", metadata: ["account.id": "\(id)"])
        return .json(try await view(id))
    }

    func syncAccount(_ id: AccountID, _ request: ControlRequest) async throws -> ControlResponse {
        let wait = try flag(request, "wait")
        let current = try await view(id)
        if current.state == .needsReauth { throw ControlError.needsReauth(id.description) }
        guard wait else {
            _ = try await supervisor.trigger(id, .manual, wait: false)
            return .json(["queued": true], status: 202)
        }
        guard let entry = try await supervisor.trigger(id, .manual, wait: true) else {
            throw ControlError.notReady("the run did not start (the daemon is stopping, or the account was removed)")
        }
        return .json(entry)
    }

    func syncAll(_ request: ControlRequest) async throws -> ControlResponse {
        guard try flag(request, "wait") else {
            let total = await supervisor.triggerAll(.manual)
            return .json(QueuedAll(queued: true, total: total), status: 202)
        }
        return .json(await supervisor.syncAll(.manual))
    }

    func posts(_ request: ControlRequest) throws -> ControlResponse {
        let account = try request.query["account"].map { text throws(ControlError) in try accountID(text) }
        let since = try timestamp(request, "since")
        let limit = try integer(request, "limit", range: 1...10_000) ?? 100
        return .json(try store.posts(account: account, since: since, limit: limit))
    }
}

/// `POST /v1/sync` without `wait`.
struct QueuedAll: Encodable {
    var queued: Bool
    var total: Int
}

/// `PUT /v1/accounts/{id}/token`.
struct TokenBody: Decodable {
    var platform: Platform?
    var externalId: String?
    var accessToken: String
    var refreshToken: String?
    var expiresAt: Date?
    var refreshExpiresAt: Date?
    var issuedAt: Date?

    var newAccount: NewAccount {
        NewAccount(
            platform: platform, externalId: externalId, accessToken: accessToken, refreshToken: refreshToken,
            expiresAt: expiresAt, refreshExpiresAt: refreshExpiresAt, issuedAt: issuedAt)
    }
}
