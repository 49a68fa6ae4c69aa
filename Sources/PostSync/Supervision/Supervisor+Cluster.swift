import Foundation

// The supervisor's side of the cluster (CONTRACT section 10): it starts and stops the workers of
// the accounts the coordinator claims and gives up, and it sends a command for an account it does
// not hold to the daemon that does.
extension Supervisor {
    /// Starts the worker of an account this daemon just claimed.
    func adopt(_ record: AccountRecord, fence: LeaseFence) {
        commands.post(.add(record, fence))
    }

    /// The lease is gone: the worker stops at once (its writes are refused from now on anyway)
    /// and is not restarted.
    func leaseLost(_ id: AccountID) {
        let slot = modifyAccounts { accounts -> Slot? in
            guard let slot = accounts.slots[id] else { return nil }
            accounts.removed.insert(id)
            return slot
        }
        slot??.mailbox.post(.stop)
    }

    /// Stops an account's worker after its run in flight and waits until it has stopped.
    func stopWorker(_ id: AccountID) async {
        guard let worker = markForStop(id) else { return }
        worker.mailbox.post(.stop)
        await worker.stopped.value
    }

    /// The accounts that have a worker here (running or winding down).
    func runningAccounts() -> Set<AccountID> {
        Set(slots.keys)
    }

    /// Whether the account has a live worker here that is not being stopped. A slot whose worker
    /// is not made yet does not count: that worker starts from the record read when the account
    /// was claimed, which may predate what a command announces (new tokens), so the command waits.
    func hasWorker(_ id: AccountID) -> Bool {
        guard slots[id]?.actor != nil else { return false }
        return !(modifyAccounts { $0.removed.contains(id) } ?? true)
    }

    /// What the lease planner needs to know about the accounts this daemon holds.
    func leaseCandidates(_ ids: [AccountID]) async -> [LeasePlanner.Held] {
        var held: [LeasePlanner.Held] = []
        for id in ids {
            if let actor = worker(id) {
                held.append(await actor.leaseCandidate)
            } else {
                held.append(LeasePlanner.Held(id: id, nextSyncAt: nil))
            }
        }
        return held
    }

    /// Another daemon stored new tokens for an account held here: the worker reads them.
    func reloadTokens(_ id: AccountID) async throws {
        guard let record = try await store.account(id) else { throw StoreError.unknownAccount(id) }
        guard let worker = worker(id) else { throw NoWorker() }
        try await worker.adoptStoredTokens(of: record)
    }

    /// The daemons of the cluster as `status` shows them; with one daemon, this one.
    public func nodes(startedAt: Date) async -> [NodeView] {
        if let cluster, let nodes = try? await cluster.store.liveNodes(lease: cluster.book.lease) { return nodes }
        return [NodeView(id: recorder.node, startedAt: startedAt, heartbeatAt: clock.now, accounts: slots.count)]
    }

    // MARK: - Sending commands

    /// How long a waiting sender waits for the holder's answer to one run: the run, plus a
    /// takeover after a holder that died.
    var remoteRunTimeout: Duration {
        settings.run.deadline * 2 + (cluster?.book.lease ?? .zero) * 2 + .seconds(5)
    }

    /// Sends an operator's change to the account's holder, when another daemon holds it.
    /// - Returns: Whether it was sent (false: no live holder, the caller writes it itself).
    func forward(_ action: ClusterCommand.Action, for record: AccountRecord) async throws -> Bool {
        // Owned by another daemon, even with an expired lease (it may still renew it, or the next
        // holder finds the command when it claims): the command waits in the database.
        guard let cluster, let owner = record.lease?.owner, owner != cluster.node else { return false }
        _ = try await cluster.request(ClusterCommand(account: record.id, action: action, wantsReply: false), timeout: .zero)
        return true
    }

    /// Asks the holder of an account that is being removed to stop its worker and give the lease
    /// up, and waits for it (a bounded wait: a holder that died loses the lease anyway).
    func stopRemoteWorker(_ id: AccountID) async {
        guard let cluster, let record = try? await store.account(id), let owner = record.lease?.owner, owner != cluster.node
        else { return }
        _ = try? await cluster.request(ClusterCommand(account: id, action: .stop, wantsReply: true), timeout: remoteRunTimeout)
    }

    /// Triggers a sync of an account another daemon holds (or that no daemon holds yet: the
    /// command waits in the database for the next holder).
    func triggerRemote(_ id: AccountID, _ trigger: SyncTrigger, wait: Bool) async throws -> SyncLogEntry? {
        guard let cluster, try await store.account(id) != nil else { throw StoreError.unknownAccount(id) }
        let command = ClusterCommand(account: id, action: .sync(trigger, wait: wait), wantsReply: wait)
        let reply = try await cluster.request(command, timeout: remoteRunTimeout)
        return reply?.entry
    }

    /// Sends a sync-all to every other live daemon and gathers their answers.
    func syncAllRemote(_ trigger: SyncTrigger, wait: Bool) async -> [ClusterReply] {
        guard let cluster, let nodes = try? await cluster.store.liveNodes(lease: cluster.book.lease) else { return [] }
        let others = nodes.map(\.id).filter { $0 != cluster.node }
        // Without waiting for the runs, only for the count of queued runs.
        let timeout = wait ? settings.run.deadline * 20 + .seconds(60) : .seconds(3)
        return await withTaskGroup(of: ClusterReply?.self) { group in
            for node in others {
                group.addTask {
                    let command = ClusterCommand(node: node, action: .syncAll(trigger, wait: wait), wantsReply: true)
                    let reply = try? await cluster.request(command, timeout: timeout)
                    if reply == nil, wait {
                        let failure = SyncAllSummary.Failure(
                            accountId: "node:\(node)", message: "the daemon did not answer in time")
                        return ClusterReply(summary: SyncAllSummary(total: 0, synced: 0, failed: 1, errors: [failure]))
                    }
                    return reply
                }
            }
            // Accounts no live daemon holds at this moment (their holder died, or they were just
            // given up): each command waits in the database for the account's next holder.
            let live = Set(nodes.map(\.id))
            let now = clock.now
            let orphans = ((try? await store.accounts()) ?? []).filter { record in
                guard record.lease?.holder(at: now).map(live.contains) != true else { return false }
                return AccountStateMachine(settings: settings.schedule, record: record, now: now).isActive
            }
            let runTimeout = remoteRunTimeout
            for record in orphans {
                group.addTask {
                    let command = ClusterCommand(account: record.id, action: .sync(trigger, wait: wait), wantsReply: wait)
                    let reply = try? await cluster.request(command, timeout: runTimeout)
                    guard wait else { return ClusterReply(queued: 1) }
                    var summary = SyncAllSummary(total: 1)
                    summary.add(record.id, entry: reply?.entry)
                    return ClusterReply(summary: summary)
                }
            }
            var replies: [ClusterReply] = []
            for await reply in group { if let reply { replies.append(reply) } }
            return replies
        }
    }
}

/// A command for an account reached this daemon while it has no worker for it (not started yet,
/// or stopped meanwhile): the command goes back to the queue for the account's holder.
struct NoWorker: Error {}
