import Foundation

extension Supervisor {
    /// Asks an account to sync now.
    /// - Parameters:
    ///   - wait: Wait for the run and return its entry.
    /// - Returns: The entry when waiting (nil when no run happened, e.g. dead auth or shutdown).
    /// With several daemons, an account another daemon holds is synced there.
    /// - Throws: `StoreError.unknownAccount`.
    public func trigger(_ id: AccountID, _ trigger: SyncTrigger, wait: Bool) async throws -> SyncLogEntry? {
        guard let mailbox = slots[id]?.mailbox else {
            if cluster != nil { return try await triggerRemote(id, trigger, wait: wait) }
            throw StoreError.unknownAccount(id)
        }
        guard wait else {
            mailbox.post(.trigger(trigger, nil))
            return nil
        }
        let promise = Promise<SyncLogEntry?>()
        mailbox.post(.trigger(trigger, promise))
        return await promise.value
    }

    /// Queues a sync of every active account without waiting (with several daemons, of every
    /// daemon's unless `localOnly`).
    /// - Returns: How many were queued.
    public func triggerAll(_ trigger: SyncTrigger, localOnly: Bool = false) async -> Int {
        let remote = Task { localOnly ? [] : await self.syncAllRemote(trigger, wait: false) }
        let active = await activeMailboxes()
        for (_, mailbox) in active { mailbox.post(.trigger(trigger, nil)) }
        return active.count + (await remote.value).reduce(0) { $0 + ($1.queued ?? 0) }
    }

    /// Syncs every active account now (autoSync on, not needs_reauth or quarantined; accounts in
    /// backoff are tried now) and waits for all of them; with several daemons, every daemon's
    /// accounts unless `localOnly`.
    public func syncAll(_ trigger: SyncTrigger, localOnly: Bool = false) async -> SyncAllSummary {
        let remote = Task { localOnly ? [] : await self.syncAllRemote(trigger, wait: true) }
        let active = await activeMailboxes()
        var summary = await withTaskGroup(of: (AccountID, SyncLogEntry?).self) { group in
            for (id, mailbox) in active {
                let promise = Promise<SyncLogEntry?>()
                mailbox.post(.trigger(trigger, promise))
                group.addTask { (id, await promise.value) }
            }
            var summary = SyncAllSummary(total: active.count)
            for await (id, entry) in group { summary.add(id, entry: entry) }
            return summary
        }
        for part in await remote.value.compactMap(\.summary) {
            summary.total += part.total
            summary.synced += part.synced
            summary.failed += part.failed
            summary.errors += part.errors
        }
        summary.errors.sort { $0.accountId < $1.accountId }
        return summary
    }

    /// The mailboxes of the accounts `AccountStateMachine.isActive` says take part, by id.
    private func activeMailboxes() async -> [(AccountID, Mailbox<AccountEvent>)] {
        var active: [(AccountID, Mailbox<AccountEvent>)] = []
        for (id, slot) in slots.sorted(by: { $0.key < $1.key }) {
            if let actor = slot.actor, await actor.isActive { active.append((id, slot.mailbox)) }
        }
        return active
    }
}
