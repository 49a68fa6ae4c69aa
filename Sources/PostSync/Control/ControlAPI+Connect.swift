import Foundation
import Hummingbird

extension ControlAPI {
    /// The connect service, or 409 `not_supported` when the API was built without one.
    private func connectService() throws(ControlError) -> ConnectService {
        guard let connect else {
            throw ControlError(code: "not_supported", message: "this daemon cannot connect accounts", status: 409)
        }
        return connect
    }

    /// `POST /v1/connect`: 201 with the authorize URL of a new 10-minute attempt.
    func startConnect(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<ConnectStarted> {
        struct Body: Decodable {
            var platform: Platform
            var login: InstagramLogin?
            var redirectUri: String?
        }
        let body = try RequestBody.decode(
            Body.self, from: context.body, fields: ["platform": .string, "login": .string, "redirectUri": .string],
            required: ["platform"])
        let started = try connectService().begin(platform: body.platform, login: body.login, redirectURI: body.redirectUri)
        return JSONResponse(started, status: .created)
    }

    /// `GET /v1/connect/{id}`: pending, connected (with the accounts) or failed (with the error).
    func connectStatus(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<ConnectStatus> {
        JSONResponse(try await connectService().status(context.parameters.get("id") ?? ""))
    }

    /// `POST /v1/connect/{id}/complete` with `{"code"}` or `{"redirectUrl"}`.
    func completeConnect(_ request: Request, context: APIRequestContext) async throws -> JSONResponse<ConnectCompleted> {
        struct Body: Decodable {
            var code: String?
            var redirectUrl: String?
        }
        let body = try RequestBody.decode(Body.self, from: context.body, fields: ["code": .string, "redirectUrl": .string])
        let redirect: OAuthRedirect
        switch (body.code, body.redirectUrl) {
        case (let code?, nil):
            // A bare code: the control socket's permissions vouch for the caller.
            guard !OAuthRedirect.stripMetaSuffix(code).isEmpty else {
                throw ControlError.invalidRequest("code: must not be empty")
            }
            redirect = .code(code, state: nil)
        case (nil, let url?):
            redirect = try OAuthRedirect.parse(url: url)
            // A redirect without its state could be anyone's (a page that loads the CLI's
            // loopback URL with its own code): it is refused, and the attempt stays usable.
            switch redirect {
            case .code(_, nil), .refused(_, _, nil): throw ControlError.stateMismatch
            default: break
            }
        default: throw ControlError.invalidRequest("give exactly one of code and redirectUrl")
        }
        let id = context.parameters.get("id") ?? ""
        return JSONResponse(ConnectCompleted(accounts: try await connectService().complete(id: id, redirect)))
    }
}
