import Foundation

extension SimulatorWorld {
    /// The request log keeps at most about this many of the newest entries.
    static let requestLogLimit = 100_000

    /// Answers one HTTP request: routes it, applies TikTok's rate limit and any injected fault,
    /// computes the platform's answer and logs it. Never suspends; latency is returned in `delayMs`.
    public func handle(_ request: SimulatorHTTPRequest) -> SimulatorHTTPResponse {
        let now = currentTime()
        let route = SimulatorRoute.match(method: request.method, path: request.path)
        if case .admin(let action) = route {
            return handleAdmin(action: action, request: request)
        }
        let accountKey = identifyAccount(route: route, request: request)
        if route.platform == "instagram", let accountKey {
            recordInstagramCall(accountKey: accountKey, now: now)
        }
        let fault = self.fault(for: route.endpoint)
        var response: SimulatorHTTPResponse
        if let limited = enforceTikTokLimit(route: route, now: now) {
            response = limited
        } else {
            response = faultedAnswer(route: route, request: request, accountKey: accountKey, fault: fault, now: now)
        }
        response.delayMs = max(0, fault?.latencyMs ?? 0)
        log.append(
            SimulatorRequest(
                at: now, method: request.method, path: request.path, endpoint: route.endpoint,
                accountId: accountKey, status: response.status, tokenInQuery: request.query["access_token"] != nil
            ))
        // A demo can run for days: keep the newest entries only, trimming in chunks to stay cheap.
        if log.count > Self.requestLogLimit + 10_000 {
            log.removeFirst(log.count - Self.requestLogLimit)
        }
        return response
    }

    /// The normal answer of a route, without faults or rate limits.
    func answer(route: SimulatorRoute, request: SimulatorHTTPRequest, now: Date) -> SimulatorHTTPResponse {
        switch route {
        case .instagramMedia(let userId): instagramMedia(request, userId: userId, now: now)
        case .instagramInsights(let mediaId): instagramInsights(request, mediaId: mediaId, now: now)
        case .instagramUser(let userId): instagramUser(request, userId: userId, now: now)
        case .instagramRefresh: instagramRefresh(request, now: now)
        case .tiktokVideoList: tiktokVideoList(request, now: now)
        case .tiktokVideoQuery: tiktokVideoQuery(request, now: now)
        case .tiktokUserInfo: tiktokUserInfo(request, now: now)
        case .tiktokOAuthToken: tiktokOAuthToken(request, now: now)
        case .instagramAuthorize: oauthAuthorize(request, flow: "instagram", now: now)
        case .facebookDialog: oauthAuthorize(request, flow: "facebook", now: now)
        case .tiktokAuthorize: oauthAuthorize(request, flow: "tiktok", now: now)
        case .instagramCodeExchange: instagramCodeExchange(request, now: now)
        case .instagramExchangeToken: instagramExchangeToken(request, now: now)
        case .facebookToken: facebookToken(request, now: now)
        case .facebookPages: facebookPages(request, now: now)
        case .admin(let action): handleAdmin(action: action, request: request)
        case .notFound: notFoundAnswer(request)
        }
    }

    private func notFoundAnswer(_ request: SimulatorHTTPRequest) -> SimulatorHTTPResponse {
        let body: [String: String] = ["error": "no simulated endpoint for \(request.method) \(request.path)"]
        return .encoded(404, body)
    }

    /// The exact fault of an endpoint, else its platform's `"<platform>.*"`, else `"*"`.
    func fault(for endpoint: String) -> SimulatorFault? {
        if let exact = faults[endpoint] { return exact }
        if let platform = endpoint.split(separator: ".").first, let wildcard = faults["\(platform).*"] { return wildcard }
        return faults["*"]
    }

    /// `"instagram:<id>"` / `"tiktok:<open_id>"` of the token in the request, when it is one we issued.
    func identifyAccount(route: SimulatorRoute, request: SimulatorHTTPRequest) -> String? {
        switch route {
        case .instagramMedia, .instagramInsights, .instagramUser, .instagramRefresh:
            return request.graphAccessToken.flatMap { instagramTokens[$0]?.accountKey }
        case .tiktokVideoList, .tiktokVideoQuery, .tiktokUserInfo:
            return request.bearerToken.flatMap { tiktokAccessTokens[$0]?.accountKey }
        case .tiktokOAuthToken:
            return request.formFields["refresh_token"].flatMap { tiktokRefreshTokens[$0]?.accountKey }
        case .instagramAuthorize, .instagramCodeExchange, .instagramExchangeToken, .facebookDialog, .facebookToken,
            .facebookPages, .tiktokAuthorize, .admin, .notFound:
            return nil
        }
    }

    /// A Meta-style `fbtrace_id` (11 characters of base64url).
    func nextTraceId() -> String {
        var generator = SeededGenerator(seed: nextIdBits())
        return generator.base64URL(11)
    }

    /// A TikTok-style `log_id`: `yyyyMMddHHmmss` + 20 upper-case hex digits.
    func nextLogId() -> String {
        var generator = SeededGenerator(seed: nextIdBits())
        return PlatformTime.logIdPrefix(currentTime()) + generator.hex(20).uppercased()
    }

    /// The `X-Business-Use-Case-Usage` value for an account: calls in the last hour against the
    /// configured hourly budget, capped at 95 % so the header alone never reads as throttled.
    func instagramUsage(accountKey: String) -> String? {
        guard let index = accountIndex(key: accountKey) else { return nil }
        let calls = instagramCalls[accountKey]?.count ?? 0
        let budget = max(1, configuration.instagramCallsPerHourBudget)
        let percent = min(95, calls * 100 / budget)
        return InstagramResponses.usageValue(accountId: accountList[index].externalId, percent: percent, minutesToRegain: 0)
    }

    private func recordInstagramCall(accountKey: String, now: Date) {
        let horizon = now.addingTimeInterval(-3_600)
        var calls = instagramCalls[accountKey, default: []].filter { $0 > horizon }
        calls.append(now)
        instagramCalls[accountKey] = calls
    }

    /// TikTok's documented limit: per endpoint, a sliding 60 s window. Only admitted requests
    /// enter the window, so a client that backs off gets through again after a minute.
    private func enforceTikTokLimit(route: SimulatorRoute, now: Date) -> SimulatorHTTPResponse? {
        switch route {
        case .tiktokVideoList, .tiktokVideoQuery, .tiktokUserInfo: break
        default: return nil
        }
        let horizon = now.addingTimeInterval(-60)
        tiktokWindows[route.endpoint, default: SlidingWindow()].removeUntil(horizon)
        guard tiktokWindows[route.endpoint, default: SlidingWindow()].count < max(0, configuration.tiktokRequestsPerMinute)
        else {
            overLimit += 1
            return TikTokResponses.rateLimited(logId: nextLogId())
        }
        tiktokWindows[route.endpoint, default: SlidingWindow()].append(now)
        return nil
    }

    /// One seeded roll decides between rate limit, server error, malformed body and the normal answer.
    private func faultedAnswer(
        route: SimulatorRoute,
        request: SimulatorHTTPRequest,
        accountKey: String?,
        fault: SimulatorFault?,
        now: Date
    ) -> SimulatorHTTPResponse {
        guard let fault, route != .notFound, fault.rateLimitRate > 0 || fault.errorRate > 0 || fault.malformedRate > 0 else {
            return answer(route: route, request: request, now: now)
        }
        let roll = faultRNG.unit()
        let platform = route.platform ?? ""
        if roll < fault.rateLimitRate {
            if platform == "instagram" {
                let externalId = accountKey.flatMap { accountIndex(key: $0) }.map { accountList[$0].externalId }
                return InstagramResponses.rateLimited(accountId: externalId, traceId: nextTraceId())
            }
            return TikTokResponses.rateLimited(logId: nextLogId())
        }
        if roll < fault.rateLimitRate + fault.errorRate {
            if platform == "instagram" { return InstagramResponses.serverError(traceId: nextTraceId()) }
            if route == .tiktokOAuthToken {
                return TikTokResponses.oauthError("server_error", description: "Internal server error.", logId: nextLogId())
            }
            return TikTokResponses.internalError(logId: nextLogId())
        }
        var response = answer(route: route, request: request, now: now)
        if roll < fault.rateLimitRate + fault.errorRate + fault.malformedRate {
            // Cut the JSON in half and claim success: the client must not trust a 200 blindly.
            response.status = 200
            response.body = response.body.count > 1 ? Data(response.body.prefix(response.body.count / 2)) : Data("{".utf8)
        }
        return response
    }
}
