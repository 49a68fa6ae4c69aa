import Foundation
import Hummingbird
import NIOCore

extension HTTPListenerAPI {
    /// `GET /oauth/instagram/callback` and `GET /oauth/tiktok/callback`: completes the attempt
    /// named by `state` and answers a small HTML page. The attempt's platform decides the flow;
    /// the path only has to be the one registered with the platform.
    func oauthCallback(_ request: Request, context: APIRequestContext) async -> Response {
        guard let connect else {
            return Self.page(ConnectPage.failed(.disabled("this daemon cannot connect accounts")), status: .notFound)
        }
        do {
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            let accounts = try await connect.complete(id: nil, try OAuthRedirect.parse(query: query))
            return Self.page(ConnectPage.connected(accounts), status: .ok)
        } catch {
            let failure = (error as? ControlError) ?? .internalError("connect failed")
            return Self.page(ConnectPage.failed(failure), status: .init(code: failure.status))
        }
    }

    private static func page(_ html: String, status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store", .init("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
