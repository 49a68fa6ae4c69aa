import Foundation

extension Supervisor {
    /// Removes an account: its worker finishes any run in flight and stops, then its rows go.
    /// - Throws: `StoreError.unknownAccount`.
    public func removeAccount(_ id: AccountID, keepPosts: Bool) async throws {
        guard try store.account(id) != nil else { throw StoreError.unknownAccount(id) }
        if let slot = slots.withLock({ slot in slot[id] }) {
            removed.insert(id)
            slot.mailbox.post(.stop)
            await slot.stopped.value
        }
        try store.deleteAccount(id, keepPosts: keepPosts)
    }

    /// Turns an account's schedule on or off, persisted at once.
    /// - Throws: `StoreError.unknownAccount`.
    public func setAutoSync(_ id: AccountID, enabled: Bool) async throws {
        if let worker = worker(id) {
            _ = try await worker.setAutoSync(enabled)
        } else {
            try store.setAutoSync(id, enabled: enabled)
        }
    }

    /// Replaces an account's tokens (clears needs_reauth), persisted at once.
    /// - Throws: `StoreError.unknownAccount`.
    public func replaceTokens(_ id: AccountID, _ token: NewAccount) async throws {
        guard let record = try store.account(id) else { throw StoreError.unknownAccount(id) }
        let issued = token.issuedTime(platform: id.platform, now: clock.now)
        if let worker = worker(id) {
            try await worker.replaceTokens(
                accessToken: token.accessToken, refreshToken: token.refreshToken, expiresAt: token.expiresAt,
                refreshExpiresAt: token.refreshExpiresAt, issuedAt: issued)
        } else {
            try store.saveTokens(
                id, accessToken: token.accessToken, refreshToken: token.refreshToken, expiresAt: token.expiresAt,
                refreshExpiresAt: token.refreshExpiresAt, refreshedAt: issued)
            try store.saveSchedule(
                id, state: record.autoSync ? .idle : .paused, nextSyncAt: clock.now, consecutiveFailures: 0, lastError: nil)
        }
    }

    /// Marks an account's authorization as removed by the platform (TikTok `authorization.removed`):
    /// `needs_reauth` at once, with a SyncLog entry saying why.
    /// - Throws: `StoreError.unknownAccount`.
    public func authorizationRemoved(_ id: AccountID, reason: String) async throws {
        guard let worker = worker(id) else { throw StoreError.unknownAccount(id) }
        try await worker.authorizationRemoved(reason)
        let now = clock.now
        _ = try await record(SyncLogEntry(
            accountId: id.description, platform: id.platform, trigger: .webhook, postsFound: 0, postsSynced: 0,
            status: .error, errorMessage: reason, duration: 0, createdAt: now, startedAt: now, apiCalls: 0,
            tokenRefreshed: false, attempt: 1))
    }

    /// Answers at once unless the supervisor's executor is stuck; health checks and the watchdog use it.
    public func ping() -> Bool { true }

    /// Whether `ping` answers within `limit` (real time). The ping runs in its own task on
    /// purpose: if the supervisor is hung, that task stays stuck, but the check itself returns
    /// false in time, so `/healthz` answers 503 and the watchdog stops, and systemd restarts us.
    public nonisolated func answers(within limit: Duration) async -> Bool {
        let reply = Mailbox<Bool>()
        Task { reply.post(await self.ping()) }
        let clock = SystemClock()
        return await reply.receive(until: clock.now.addingTimeInterval(limit.seconds), clock: clock).first ?? false
    }

    /// Queues a sync of every active account without waiting.
    /// - Returns: How many were queued.
    public func triggerAll(_ trigger: SyncTrigger) async -> Int {
        var count = 0
        for slot in slots.withLock({ Array($0.values) }) {
            if let actor = slot.actor, await actor.isActive {
                slot.mailbox.post(.trigger(trigger, nil))
                count += 1
            }
        }
        return count
    }
}

extension Supervisor {
    /// `N accounts: S syncing, F failing, R need re-auth, Q quarantined`, for systemd's STATUS=.
    /// Nil when the supervisor is shutting down.
    public nonisolated func statusLine() async -> String? {
        guard !shutdown.isFired else { return nil }
        var counts: [AccountState: Int] = [:]
        let actors = slots.withLock { $0.values.compactMap(\.actor) }
        for actor in actors { counts[await actor.state, default: 0] += 1 }
        let failing = (counts[.backoff] ?? 0)
        return "\(actors.count) accounts: \(counts[.syncing] ?? 0) syncing, \(failing) failing, "
            + "\(counts[.needsReauth] ?? 0) need re-auth, \(counts[.quarantined] ?? 0) quarantined"
    }

    /// Applies reloaded settings to the supervisor and every worker (SIGHUP).
    public func reconfigure(_ settings: Settings) async {
        self.settings = settings
        for actor in slots.withLock({ $0.values.compactMap(\.actor) }) {
            await actor.reconfigure(settings.schedule, runSettings: settings.run)
        }
    }

    /// A test hook: blocks the supervisor's executor so that its health checks fail. Only reachable
    /// when `postsync serve` is started with `POSTSYNC_TEST_HANG_ON_SIGUSR1=1`.
    public func hangForTesting() {
        logger.critical("supervisor hung on purpose (test hook)")
        Thread.sleep(forTimeInterval: 3600)
    }
}
