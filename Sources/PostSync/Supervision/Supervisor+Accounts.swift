import Foundation

extension Supervisor {
    /// Adds a new account: stored first, then its worker starts (and syncs at once).
    /// - Throws: `StoreError.accountExists`.
    public func addAccount(_ record: AccountRecord) async throws -> AccountView {
        try await store.insertAccount(record)
        if let cluster {
            // Whichever daemon's share it falls into claims it; all of them look now.
            try? await cluster.store.announce()
        } else {
            commands.post(.add(record, nil))
        }
        return AccountView(record: record, state: machine(for: record).state)
    }

    /// Removes an account: its worker finishes any run in flight and stops, then its rows go.
    /// - Throws: `StoreError.unknownAccount`.
    public func removeAccount(_ id: AccountID, keepPosts: Bool) async throws {
        guard try await store.account(id) != nil else { throw StoreError.unknownAccount(id) }
        if let worker = markForStop(id) {
            worker.mailbox.post(.stop)
            await worker.stopped.value
        } else {
            await stopRemoteWorker(id)
        }
        try await store.deleteAccount(id, keepPosts: keepPosts)
        schedule.update(id, rhythm: nil, now: clock.now)
    }

    /// Turns an account's schedule on or off, persisted at once.
    /// - Throws: `StoreError.unknownAccount`.
    public func setAutoSync(_ id: AccountID, enabled: Bool) async throws {
        if let worker = worker(id) {
            try await worker.setAutoSync(enabled)
            return
        }
        guard let record = try await store.account(id) else { throw StoreError.unknownAccount(id) }
        try await store.setAutoSync(id, enabled: enabled)
        if try await forward(.setAutoSync(enabled), for: record) { return }
        try await persist(id, machine(for: record), .autoSyncChanged(enabled, now: clock.now))
    }

    /// Replaces an account's tokens (clears needs_reauth), persisted at once.
    /// - Throws: `StoreError.unknownAccount`.
    public func replaceTokens(_ id: AccountID, _ tokens: TokenUpdate) async throws {
        guard let record = try await store.account(id) else { throw StoreError.unknownAccount(id) }
        if let worker = worker(id) {
            try await worker.replaceTokens(tokens)
            return
        }
        try await store.saveTokens(id, tokens)
        // The holder reads the new token from the database: it never travels in a command.
        if try await forward(.tokensReplaced, for: record) { return }
        try await persist(id, machine(for: record), .tokenReplaced(now: clock.now))
    }

    /// Marks an account's authorization as removed by the platform (TikTok `authorization.removed`):
    /// `needs_reauth` at once, with a SyncLog entry saying why.
    /// - Throws: `StoreError.unknownAccount`.
    public func authorizationRemoved(_ id: AccountID, reason: String) async throws {
        if let worker = worker(id) {
            try await worker.authorizationRemoved(reason)
        } else {
            guard let record = try await store.account(id) else { throw StoreError.unknownAccount(id) }
            if try await forward(.authorizationRemoved(reason), for: record) { return }
            try await persist(id, machine(for: record), .authorizationRemoved(reason))
        }
        let now = clock.now
        _ = try await recorder.record(
            SyncLogEntry(
                accountId: id.description, platform: id.platform, trigger: .webhook, postsFound: 0, postsSynced: 0,
                status: .error, errorMessage: reason, duration: 0, createdAt: now, startedAt: now, apiCalls: 0,
                tokenRefreshed: false, attempt: 1))
    }

    /// Applies reloaded settings to the supervisor and every worker (SIGHUP).
    public func reconfigure(_ settings: Settings) async {
        self.settings = settings
        schedule.reconfigure(settings.schedulePlan)
        for actor in slots.values.compactMap(\.actor) {
            await actor.reconfigure(settings.schedule, runSettings: settings.run)
        }
    }

    /// Whether the store's database can be reached now (read without waiting on the actor).
    public nonisolated var database: DatabaseHealth { store.health }

    /// Every account as `status` shows it, ordered by id.
    public func accountViews() async throws -> [AccountView] {
        let counts = try await store.postCounts()
        lastPostCounts = counts
        var views: [AccountView] = []
        for record in try await store.accounts() {
            let posts = counts[record.id.description] ?? 0
            let lastStatus = await recorder.lastStatus(of: record.id)
            if let actor = worker(record.id) {
                var view = await actor.view(posts: posts, lastStatus: lastStatus)
                view.node = recorder.node
                views.append(view)
            } else {
                var view = AccountView(record: record, state: machine(for: record).state, lastStatus: lastStatus, posts: posts)
                view.node = record.lease?.holder(at: clock.now)
                views.append(view)
            }
        }
        return views
    }

    /// The state of one account: its worker's, from memory (so a trigger needs no database),
    /// else its row's.
    /// - Throws: `StoreError.unknownAccount`, or the store's error.
    public func state(of id: AccountID) async throws -> AccountState {
        if let actor = worker(id) { return await actor.state }
        guard let record = try await store.account(id) else { throw StoreError.unknownAccount(id) }
        return machine(for: record).state
    }

    /// The accounts that have a live worker, from memory, with the last post counts read: what
    /// `status` shows while the database is unavailable.
    public func liveAccountViews() async -> [AccountView] {
        var views: [AccountView] = []
        for (id, actor) in slots.compactMap({ slot in slot.value.actor.map { (slot.key, $0) } }) {
            var view = await actor.view(posts: lastPostCounts[id.description] ?? 0, lastStatus: await recorder.lastStatus(of: id))
            view.node = recorder.node
            views.append(view)
        }
        return views.sorted { $0.id < $1.id }
    }

    /// How many accounts are in each state now (for systemd's STATUS= line); nil once shutdown
    /// began.
    public func accountStates() async -> [AccountState: Int]? {
        guard isSupervising else { return nil }
        var counts: [AccountState: Int] = [:]
        for actor in slots.values.compactMap(\.actor) { counts[await actor.state, default: 0] += 1 }
        return counts
    }

    /// Runs on the supervisor's executor and records that it did (`HeartbeatService` calls it
    /// every `Heartbeat.period`). A stuck executor stops the beats.
    public func ping() {
        heartbeat.beat(now: clock.now)
    }

    /// Whether the supervisor's executor ran `ping()` within `limit` (plus one beat period).
    /// Never waits on the supervisor, so `/healthz` answers 503 and the watchdog stops in time
    /// even when it is hung.
    public nonisolated func answers(within limit: Duration) async -> Bool {
        heartbeat.isRecent(now: clock.now, within: limit)
    }

    /// The live worker of an account, if it runs.
    func worker(_ id: AccountID) -> AccountActor? {
        slots[id]?.actor
    }

    /// The state machine of an account that has no live worker, restored from its row: the same
    /// rules as a worker's, so `status` and `serve --once` agree with a running daemon.
    func machine(for record: AccountRecord) -> AccountStateMachine {
        AccountStateMachine(settings: settings.schedule, record: record, now: clock.now)
    }

    /// Feeds an event to the machine of an account without a worker and stores what it decides.
    private func persist(_ id: AccountID, _ machine: AccountStateMachine, _ event: AccountStateMachine.Event) async throws {
        var machine = machine
        var random = SplitMix64(seed: Self.seed(for: id, base: seed))
        if case .persist(let schedule) = machine.handle(event, random: &random) {
            try await store.saveSchedule(id, schedule)
        }
    }
}
