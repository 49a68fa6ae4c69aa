import Foundation

extension Supervisor {
    /// Adds a new account: stored first, then its worker starts (and syncs at once).
    /// - Throws: `StoreError.accountExists`.
    public func addAccount(_ record: AccountRecord) throws -> AccountView {
        try store.insertAccount(record)
        commands.post(.add(record))
        return AccountView(record: record)
    }

    /// The live worker of an account, if it runs.
    public nonisolated func worker(_ id: AccountID) -> AccountActor? {
        slots.withLock { $0[id]?.actor }
    }

    /// Asks an account to sync now.
    /// - Parameters:
    ///   - wait: Wait for the run and return its entry.
    /// - Returns: The entry when waiting (nil when no run happened, e.g. dead auth or shutdown).
    /// - Throws: `StoreError.unknownAccount`.
    public func trigger(_ id: AccountID, _ trigger: SyncTrigger, wait: Bool) async throws -> SyncLogEntry? {
        guard let mailbox = slots.withLock({ $0[id]?.mailbox }) else { throw StoreError.unknownAccount(id) }
        guard wait else {
            mailbox.post(.trigger(trigger, nil))
            return nil
        }
        let promise = Promise<SyncLogEntry?>()
        mailbox.post(.trigger(trigger, promise))
        return await promise.value
    }

    /// Syncs every active account now (autoSync on, not needs_reauth or quarantined; accounts in
    /// backoff are tried now) and waits for all of them.
    public func syncAll(_ trigger: SyncTrigger) async -> SyncAllSummary {
        var active: [(AccountID, Mailbox<AccountEvent>)] = []
        for (id, slot) in slots.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            if let actor = slot.actor, await actor.isActive { active.append((id, slot.mailbox)) }
        }
        return await withTaskGroup(of: (AccountID, SyncLogEntry?).self) { group in
            for (id, mailbox) in active {
                let promise = Promise<SyncLogEntry?>()
                mailbox.post(.trigger(trigger, promise))
                group.addTask { (id, await promise.value) }
            }
            var summary = SyncAllSummary(total: active.count)
            for await (id, entry) in group { summary.add(id, entry: entry) }
            summary.errors.sort { $0.accountId < $1.accountId }
            return summary
        }
    }

    /// Every account as `status` shows it, ordered by id.
    public func accountViews() async throws -> [AccountView] {
        let counts = try store.postCounts()
        var views: [AccountView] = []
        for record in try store.accounts() {
            if let actor = worker(record.id) {
                views.append(await actor.view(posts: counts[record.id.description] ?? 0))
            } else {
                views.append(AccountView(
                    record: record, lastStatus: lastStatuses[record.id.description],
                    posts: counts[record.id.description] ?? 0))
            }
        }
        return views
    }

    /// `serve --once`: syncs every active account once, without starting the schedule loops.
    /// - Returns: The summary; `failed == 0` means every run succeeded (or was partial).
    public func syncOnce(_ trigger: SyncTrigger = .schedule) async throws -> SyncAllSummary {
        let records = try store.accounts().filter { $0.autoSync && $0.state != .needsReauth && $0.state != .quarantined }
        let environment = environment
        let settings = settings
        let seed = seed
        return await withTaskGroup(of: OnceOutcome.self) { group in
            for record in records {
                group.addTask {
                    let actor = AccountActor(
                        record: record, settings: settings.schedule, runSettings: settings.run, environment: environment,
                        seed: Self.seed(for: record.id, base: seed))
                    do {
                        return OnceOutcome(id: record.id, entry: try await actor.syncOnce(trigger: trigger), crash: nil)
                    } catch {
                        return OnceOutcome(id: record.id, entry: nil, crash: "internal error: \(error)")
                    }
                }
            }
            var summary = SyncAllSummary(total: records.count)
            for await outcome in group { summary.add(outcome.id, entry: outcome.entry, crash: outcome.crash) }
            summary.errors.sort { $0.accountId < $1.accountId }
            return summary
        }
    }
}

/// How one `serve --once` run ended.
struct OnceOutcome: Sendable {
    var id: AccountID
    var entry: SyncLogEntry?
    var crash: String?
}
