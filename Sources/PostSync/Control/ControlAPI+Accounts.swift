import Foundation
import Hummingbird
import Logging

extension ControlAPI {
    /// Fields of `POST /v1/accounts` (and, minus platform and id, of `PUT …/token`).
    static let accountFields: [String: RequestBody.Kind] = [
        "platform": .string, "externalId": .string, "accessToken": .string, "refreshToken": .string,
        "expiresAt": .timestamp, "refreshExpiresAt": .timestamp, "username": .string, "login": .string,
        "autoSync": .bool, "issuedAt": .timestamp,
    ]

    /// `GET /v1/accounts`.
    func accounts(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<[AccountView]> {
        JSONResponse(try await supervisor.accountViews())
    }

    /// `GET /v1/accounts/{id}`.
    func account(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<AccountView> {
        JSONResponse(try await view(try accountID(context)))
    }

    /// `POST /v1/accounts`: 201 with the new account, created now by the injected clock.
    func addAccount(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<AccountView> {
        let new = try RequestBody.decode(
            NewAccount.self, from: context.body, fields: Self.accountFields, required: ["platform", "externalId", "accessToken"])
        let record = try new.record(now: clock.now)
        let view = try await supervisor.addAccount(record)
        logger.info("account added", metadata: ["account.id": "\(record.id)"])
        return JSONResponse(view, status: .created)
    }

    /// `DELETE /v1/accounts/{id}`, optionally `?keepPosts=true`.
    func removeAccount(_ request: Request, context: APIRequestContext) async throws -> HTTPResponse.Status {
        let id = try accountID(context)
        let keepPosts = try ControlQuery(request).flag("keepPosts")
        try await supervisor.removeAccount(id, keepPosts: keepPosts)
        logger.info("account removed", metadata: ["account.id": "\(id)", "keep_posts": "\(keepPosts)"])
        return .noContent
    }

    /// `PUT /v1/accounts/{id}/auto-sync`.
    func setAutoSync(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<AccountView> {
        struct Body: Decodable { var enabled: Bool }
        let id = try accountID(context)
        let body = try RequestBody.decode(Body.self, from: context.body, fields: ["enabled": .bool], required: ["enabled"])
        try await supervisor.setAutoSync(id, enabled: body.enabled)
        return JSONResponse(try await view(id))
    }

    /// `PUT /v1/accounts/{id}/token`: clears `needs_reauth`.
    func setToken(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<AccountView> {
        let id = try accountID(context)
        var fields = Self.accountFields
        for key in ["username", "login", "autoSync"] { fields.removeValue(forKey: key) }
        // The token body carries no platform or id; accept them only when they match the path.
        var object = try RequestBody.decode(TokenBody.self, from: context.body, fields: fields, required: ["accessToken"])
        if let platform = object.platform, platform != id.platform {
            throw ControlError.invalidRequest("platform: does not match \(id)")
        }
        if let external = object.externalId, external != id.externalID {
            throw ControlError.invalidRequest("externalId: does not match \(id)")
        }
        object.platform = id.platform
        let token = try object.newAccount.validated(for: id.platform)
        if id.platform == .instagram, token.refreshToken != nil {
            throw ControlError.invalidRequest("refreshToken: Instagram tokens have no refresh token")
        }
        try await supervisor.replaceTokens(id, TokenUpdate(token, platform: id.platform, now: clock.now))
        logger.info("token replaced", metadata: ["account.id": "\(id)"])
        return JSONResponse(try await view(id))
    }

    /// `POST /v1/accounts/{id}/sync`: 202 queued, or with `wait` 200 and the run's SyncLog entry.
    func syncAccount(_ request: Request, context: APIRequestContext) async throws -> Response {
        let id = try accountID(context)
        let wait = try ControlQuery(request).flag("wait")
        if try await supervisor.state(of: id) == .needsReauth { throw ControlError.needsReauth(id.description) }
        guard wait else {
            _ = try await supervisor.trigger(id, .manual, wait: false)
            return try JSONResponse(SyncQueued(), status: .accepted).response(from: request, context: context)
        }
        guard let entry = try await supervisor.trigger(id, .manual, wait: true) else {
            throw ControlError.notReady("the run did not start (the daemon is stopping, or the account was removed)")
        }
        return try JSONResponse(entry).response(from: request, context: context)
    }
}
