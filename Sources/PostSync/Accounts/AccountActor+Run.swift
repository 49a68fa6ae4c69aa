import Foundation
import Logging

/// A run that failed for a reason that is neither the platform's nor a crash.
struct RunFailure: Error, CustomStringConvertible {
    var description: String
}

extension AccountActor {
    /// What one run produced.
    struct RunProduct: Sendable {
        var fetch: FetchResult
        var ingest: IngestResult
    }

    /// One sync run: waits for a daemon-wide slot, refreshes the token if due, fetches, stores,
    /// writes the SyncLog entry and the next schedule.
    /// - Returns: The entry, or nil when shutdown began before the run could start.
    /// - Throws: What is not a sync outcome (the supervisor restarts the worker).
    func runSync(trigger: SyncTrigger) async throws -> SyncLogEntry? {
        do { try await environment.limiter.acquire() } catch { return nil }
        defer { environment.limiter.release() }
        let clock = environment.clock
        let attempt = machine.consecutiveFailures + 1
        let generation = tokenGeneration
        let started = clock.now
        let calls = CallCounter()
        var refreshed = false
        if trigger == .schedule, let due = machine.nextSyncAt {
            environment.observeLateness?(max(0, started.timeIntervalSince(due)))
        }
        machine.runStarted()
        var outcome: AccountStateMachine.RunOutcome
        var status: SyncStatus
        var message: String?
        var product: RunProduct?
        var crash: (any Error)?
        do {
            product = try await withDeadline(runSettings.deadline, clock: clock) {
                try await self.syncBody(now: started, calls: calls)
            }
            refreshed = runRefreshed
            let problems = product?.fetch.problems ?? []
            status = problems.isEmpty ? .success : .partial
            message = problems.isEmpty ? nil : problems.joined(separator: "; ")
            outcome = .succeeded
        } catch let error as PlatformError {
            refreshed = runRefreshed
            status = .error
            message = error.description
            switch error {
            case .deadAuth: outcome = .authDead(error.description)
            case .rateLimited(let after, _): outcome = .failed(error.description, retryAfter: after)
            default: outcome = .failed(error.description, retryAfter: nil)
            }
        } catch let error as DeadlineExceeded {
            refreshed = runRefreshed
            status = .error
            message = error.description
            outcome = .failed(error.description, retryAfter: nil)
        } catch let error as RunFailure {
            refreshed = runRefreshed
            status = .error
            message = error.description
            outcome = .failed(error.description, retryAfter: nil)
        } catch {
            refreshed = runRefreshed
            status = .error
            message = "internal error: \(error)"
            outcome = .failed(message ?? "internal error", retryAfter: nil)
            crash = error
        }
        let finished = clock.now
        machine.runFinished(outcome, now: finished, random: &random)
        // An operator set a new token during the run: the run's verdict was about the old one.
        if tokenGeneration != generation { machine.tokenReplaced(now: finished) }
        lastStatus = status
        if status != .error { record.lastSyncAt = finished }
        let entry = SyncLogEntry(
            accountId: id.description, platform: id.platform, trigger: trigger,
            postsFound: product?.ingest.found ?? 0, postsSynced: product?.ingest.synced ?? 0, status: status,
            errorMessage: message, duration: Int64((finished.timeIntervalSince(started) * 1000).rounded()),
            createdAt: finished, startedAt: started, apiCalls: calls.value, tokenRefreshed: refreshed, attempt: attempt)
        let written = try await environment.recorder.record(entry)
        if let crash {
            logger.error("sync run crashed", metadata: ["error": "\(crash)"])
            throw crash
        }
        try persistSchedule()
        logger.debug(
            "sync run finished",
            metadata: ["sync.status": "\(status)", "sync.posts_synced": "\(written.postsSynced)", "sync.seq": "\(written.seq)"])
        return written
    }

    /// The token refreshed in the current run (read after the run's child task ends).
    var runRefreshed: Bool { refreshedInRun }

    /// Refresh (if due), fetch, store. Runs inside the deadline.
    func syncBody(now: Date, calls: CallCounter) async throws -> RunProduct {
        refreshedInRun = false
        guard let client = environment.clients[id.platform] else {
            throw RunFailure(description: "no \(id.platform) client configured")
        }
        if unsavedTokens { try saveRefreshedTokens() }
        switch runSettings.tokenPolicy.decide(record, now: now) {
        case .dead(let reason): throw PlatformError.deadAuth(reason)
        case .refresh: try await refreshToken(client: client, now: now, calls: calls)
        case .use: break
        }
        let lookbackStart = record.lastSyncAt == nil ? nil : now.addingTimeInterval(-runSettings.lookback.seconds)
        let known = try lookbackStart.map { id.platform == .tiktok ? try environment.store.postIDs(of: id, publishedSince: $0) : [] } ?? []
        let request = FetchRequest(
            account: id, login: record.login, accessToken: record.accessToken, lookbackStart: lookbackStart,
            knownRecentPostIDs: known, insightsFetchedAt: insightsFetchedAt, now: now)
        let result = try await fetchRefreshingOnce(request, client: client, now: now, calls: calls)
        let ingest = try environment.store.ingest(result.posts, for: id, now: environment.clock.now)
        for postID in result.insightsRead { insightsFetchedAt[postID] = now }
        if insightsFetchedAt.count > 1000 {
            let horizon = now.addingTimeInterval(-runSettings.lookback.seconds)
            insightsFetchedAt = insightsFetchedAt.filter { $0.value >= horizon }
        }
        return RunProduct(fetch: result, ingest: ingest)
    }

    /// Fetches; on TikTok `access_token_invalid` (a token revoked early) refreshes once and
    /// retries, then gives up as dead auth.
    func fetchRefreshingOnce(
        _ request: FetchRequest, client: any PlatformClient, now: Date, calls: CallCounter
    ) async throws -> FetchResult {
        do {
            return try await client.fetch(request, calls: calls)
        } catch {
            guard case PlatformError.accessTokenInvalid(let message) = error else { throw error }
            guard !refreshedInRun, record.refreshToken != nil else { throw PlatformError.deadAuth(message) }
        }
        try await refreshToken(client: client, now: now, calls: calls)
        var retry = request
        retry.accessToken = record.accessToken
        do {
            return try await client.fetch(retry, calls: calls)
        } catch {
            if case PlatformError.accessTokenInvalid(let message) = error { throw PlatformError.deadAuth(message) }
            throw error
        }
    }

    /// Refreshes the token and commits the new pair to the store **before** it is used: TikTok
    /// rotates refresh tokens, and one that is not on disk is a lockout after a crash.
    func refreshToken(client: any PlatformClient, now: Date, calls: CallCounter) async throws {
        let generation = tokenGeneration
        let fresh = try await client.refresh(
            account: id, accessToken: record.accessToken, refreshToken: record.refreshToken, now: now, calls: calls)
        // An operator set a new token while we were refreshing: theirs wins.
        guard generation == tokenGeneration else { return }
        record.accessToken = fresh.accessToken
        if let rotated = fresh.refreshToken, !rotated.isEmpty { record.refreshToken = rotated }
        if let expires = fresh.expiresAt { record.tokenExpiresAt = expires }
        if let refreshExpires = fresh.refreshExpiresAt { record.refreshExpiresAt = refreshExpires }
        record.tokenRefreshedAt = now
        refreshedInRun = true
        unsavedTokens = true
        try saveRefreshedTokens()
        logger.info("token refreshed", metadata: ["token.expires_at": "\(record.tokenExpiresAt.map(Timestamp.format) ?? "unknown")"])
    }

    /// Writes the in-memory token pair; on failure it stays in memory for the next run (the old
    /// refresh token is already dead, so dropping the new one would lock the account out).
    func saveRefreshedTokens() throws {
        var lastError: (any Error)?
        for _ in 0..<3 {
            do {
                try environment.store.saveTokens(
                    id, accessToken: record.accessToken, refreshToken: record.refreshToken,
                    expiresAt: record.tokenExpiresAt, refreshExpiresAt: record.refreshExpiresAt,
                    refreshedAt: record.tokenRefreshedAt ?? environment.clock.now)
                unsavedTokens = false
                return
            } catch {
                lastError = error
            }
        }
        logger.critical("refreshed token could not be saved; kept in memory", metadata: ["error": "\(lastError.map { "\($0)" } ?? "")"])
        throw RunFailure(description: "the refreshed token could not be saved to the database")
    }
}
