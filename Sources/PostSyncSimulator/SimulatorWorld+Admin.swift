import Foundation

extension SimulatorWorld {
    /// The admin API under `/_sim/` (JSON, dates in ISO 8601; not logged, never faulted):
    ///
    /// | request | effect |
    /// |---|---|
    /// | `GET /_sim/accounts` | the accounts, tokens included |
    /// | `GET /_sim/posts?account=instagram:ID` | the account's posts, newest first |
    /// | `GET /_sim/requests`, `DELETE /_sim/requests` | the request log; clear it |
    /// | `POST /_sim/publish?account=…` | publish a post now; answers the post |
    /// | `POST /_sim/metrics?account=…[&post=ID][&likes=N&comments=N&views=N&shares=N]` | bump (+1 like on the newest post) or set metrics; answers the post |
    /// | `POST /_sim/expire?account=…`, `POST /_sim/revoke?account=…`, `POST /_sim/reauthorize?account=…` | token changes; answers the account |
    /// | `GET /_sim/fault`, `PUT /_sim/fault?endpoint=E` (body: `SimulatorFault`), `DELETE /_sim/fault?endpoint=E` | faults |
    /// | `POST /_sim/oauth/expire-codes` | every OAuth code handed out so far is expired |
    /// | `GET /_sim/stats` | `{"tiktokOverLimit": n, "requests": n}` |
    /// | `POST /_sim/webhook?account=…&event=E[&post=ID]` | deliver one webhook now (needs a webhook URL); answers 202 and the event |
    func handleAdmin(action: String, request: SimulatorHTTPRequest) -> SimulatorHTTPResponse {
        switch (request.method, action) {
        case ("GET", "accounts"):
            return .encoded(200, accounts())
        case ("GET", "requests"):
            return .encoded(200, requestLog())
        case ("POST", "oauth/expire-codes"):
            return .encoded(200, ["expired": expireOAuthCodes()])
        case ("GET", "stats"):
            // Requests that went beyond the platforms' own limits: a daemon that overruns them shows here.
            return .encoded(200, ["tiktokOverLimit": overLimitCount(), "requests": requestCount()])
        case ("DELETE", "requests"):
            clearRequestLog()
            return .encoded(200, [String]())
        case ("GET", "fault"):
            return .encoded(200, configuredFaults())
        case ("PUT", "fault"), ("POST", "fault"):
            guard let endpoint = request.query["endpoint"], !endpoint.isEmpty else {
                return adminError(400, "endpoint is required")
            }
            guard let fault = try? JSONDecoder().decode(SimulatorFault.self, from: request.body) else {
                return adminError(400, "the body must be a SimulatorFault JSON object")
            }
            setFault(fault, endpoint: endpoint)
            return .encoded(200, fault)
        case ("DELETE", "fault"):
            guard let endpoint = request.query["endpoint"], !endpoint.isEmpty else {
                return adminError(400, "endpoint is required")
            }
            setFault(nil, endpoint: endpoint)
            return .encoded(200, configuredFaults())
        case ("POST", "webhook"):
            return requestWebhook(query: request.query)
        case ("GET", "posts"), ("POST", "publish"), ("POST", "metrics"), ("POST", "expire"), ("POST", "revoke"),
            ("POST", "reauthorize"):
            guard let target = Self.parseAccountParameter(request.query["account"]),
                account(platform: target.platform, externalId: target.externalId) != nil
            else { return adminError(404, "unknown account; use account=instagram:<id> or account=tiktok:<open_id>") }
            return accountAction(action, platform: target.platform, externalId: target.externalId, query: request.query)
        default:
            return adminError(404, "unknown admin request \(request.method) /_sim/\(action)")
        }
    }

    private func accountAction(_ action: String, platform: String, externalId: String, query: [String: String])
        -> SimulatorHTTPResponse
    {
        switch action {
        case "posts":
            return .encoded(200, posts(platform: platform, externalId: externalId))
        case "publish":
            guard let post = publishPost(platform: platform, externalId: externalId) else {
                return adminError(404, "unknown account")
            }
            return .encoded(200, post)
        case "metrics":
            let numbers = ["likes", "comments", "views", "shares"].map { query[$0].flatMap { Int($0) } }
            let postId = query["post"] ?? posts(platform: platform, externalId: externalId).first?.id
            guard let postId else { return adminError(404, "the account has no posts") }
            if numbers.allSatisfy({ $0 == nil }) && query["post"] == nil {
                bumpMetrics(platform: platform, externalId: externalId)
            } else {
                setMetrics(
                    platform: platform, postId: postId, likes: numbers[0], comments: numbers[1], views: numbers[2],
                    shares: numbers[3])
            }
            guard let post = posts(platform: platform, externalId: externalId).first(where: { $0.id == postId }) else {
                return adminError(404, "unknown post \(postId)")
            }
            return .encoded(200, post)
        case "expire":
            expireAccessToken(platform: platform, externalId: externalId)
        case "revoke":
            revokeToken(platform: platform, externalId: externalId)
        default:
            reauthorize(platform: platform, externalId: externalId)
        }
        guard let account = account(platform: platform, externalId: externalId) else { return adminError(404, "unknown account") }
        return .encoded(200, account)
    }

    /// `instagram:17841400000000001` → (`instagram`, `17841400000000001`).
    static func parseAccountParameter(_ value: String?) -> (platform: String, externalId: String)? {
        guard let value, let colon = value.firstIndex(of: ":") else { return nil }
        let platform = String(value[..<colon])
        let externalId = String(value[value.index(after: colon)...])
        guard platform == "instagram" || platform == "tiktok", !externalId.isEmpty else { return nil }
        return (platform, externalId)
    }

    /// An admin error answer: `{"error": message}`.
    func adminError(_ status: Int, _ message: String) -> SimulatorHTTPResponse {
        let body: [String: String] = ["error": message]
        return .encoded(status, body)
    }
}
