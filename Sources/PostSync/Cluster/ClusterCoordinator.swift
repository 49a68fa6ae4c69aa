import Foundation
import Logging
import ServiceLifecycle

/// This daemon's part in the cluster (CONTRACT section 10), a service beside the supervisor:
/// every `lease/3` it renews its leases, beats its heartbeat, claims accounts up to its share and
/// gives up the excess (decisions from `LeasePlanner`), and it carries out the commands other
/// daemons send for the accounts it holds. The supervisor starts and stops the workers it is told
/// to; a worker whose lease is lost stops at once.
///
/// It is listed before the supervisor in the service group, so at SIGTERM it is shut down after
/// the supervisor's workers have finished their runs: it keeps their leases until then, and then
/// gives every lease up and removes its node row.
public actor ClusterCoordinator: Service {
    let store: any ClusterStore
    let vault: TokenVault
    let supervisor: Supervisor
    let link: ClusterLink
    let startedAt: Date
    let logger: Logger
    let version: String
    /// Wakes the loop early: a notification arrived.
    nonisolated let wake = Mailbox<Wake>()
    private let stopping = ShutdownSignal()
    /// Accounts being given up: their workers are finishing, the leases are still renewed.
    private var releasing: Set<AccountID> = []
    private var lastNodes: [String] = []
    /// When each lease in the book was claimed (a worker starts a moment later).
    private var claimedAt: [AccountID: ContinuousClock.Instant] = [:]
    /// The commands of one account (or node) run one after another, in the order sent.
    private var queues: [String: Task<Void, Never>] = [:]
    private var lastError: String?
    /// After this daemon could not reach the database, it takes no expired lease of another
    /// daemon until then: after an outage of the database every lease has expired, and each
    /// owner must get the chance to renew its own before another daemon takes it (and refreshes
    /// with a token the owner may just have rotated).
    private var takeExpiredAfter: ContinuousClock.Instant?

    /// Why the loop woke early.
    enum Wake: Sendable {
        /// A command was queued.
        case command
        /// Leases were given up or accounts added: claim now.
        case rebalance
    }

    /// Claims are made in batches of this many rows.
    static let claimBatch = 1000

    /// Creates the coordinator.
    public init(
        store: any ClusterStore, vault: TokenVault, supervisor: Supervisor, link: ClusterLink, startedAt: Date,
        logger: Logger, version: String = PostSyncVersion.string
    ) {
        self.store = store
        self.vault = vault
        self.supervisor = supervisor
        self.link = link
        self.startedAt = startedAt
        self.logger = logger
        self.version = version
    }

    var book: LeaseBook { link.book }
    var node: String { link.node }

    /// Runs until graceful shutdown, then gives up every lease.
    public func run() async throws {
        let listener = Task { [weak self] in await self?.listen() }
        await withGracefulShutdownHandler {
            await self.loop()
        } onGracefulShutdown: {
            self.stopping.fire()
            self.wake.post(.rebalance)
        }
        listener.cancel()
        // In a task of its own: a cancelled caller (tests, `Daemon.runEngine`) must still give the
        // leases up.
        await Task { await self.leave() }.value
    }

    /// Gives up every lease and removes this node (SIGTERM, or the end of `serve --once`).
    func leave() async {
        do {
            try await store.leave(node)
            logger.info("cluster leases released", metadata: ["cluster.node": "\(node)"])
        } catch {
            logger.warning("cluster leases not released; they expire", metadata: ["error": "\(error)"])
        }
    }

    private func loop() async {
        let period = book.lease / 3
        let clock = SystemClock()
        while !stopping.isFired, !Task.isCancelled {
            let started = ContinuousClock.now
            await cycle()
            await takeCommands()
            var due = started + period
            while !stopping.isFired, !Task.isCancelled, ContinuousClock.now < due {
                let wait = due - ContinuousClock.now
                let woken = await wake.receive(until: clock.now.addingTimeInterval(wait.seconds), clock: clock)
                if woken.contains(where: { if case .command = $0 { true } else { false } }) { await takeCommands() }
                if woken.contains(where: { if case .rebalance = $0 { true } else { false } }) { due = .now }
            }
        }
    }

    /// Reconnects the LISTEN connection until shutdown; a notification only wakes the loop.
    private func listen() async {
        var delay = Duration.milliseconds(250)
        while !Task.isCancelled {
            do {
                let wake = self.wake
                try await store.listen { payload in
                    wake.post(payload == "command" ? .command : payload == "released" ? .rebalance : .command)
                }
            } catch {
                if Task.isCancelled { return }
            }
            // The loop polls for commands every lease/3 meanwhile, so nothing is lost.
            wake.post(.command)
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    // MARK: - serve --once

    /// Joins the cluster and claims every account no live daemon holds.
    func claimForOnce() async throws -> [(AccountRecord, LeaseFence)] {
        _ = try await store.heartbeat(node, version: version, startedAt: startedAt, lease: book.lease)
        var claimed: [(AccountRecord, LeaseFence)] = []
        while true {
            let sent = ContinuousClock.now
            let records = try await store.claim(
                node, lease: book.lease, limit: Self.claimBatch, excluding: [], takeExpired: true)
            for record in records {
                let fence = LeaseFence(node: node, epoch: record.lease?.epoch ?? 0)
                book.claimed(record.id, epoch: fence.epoch, sentAt: sent)
                claimed.append((vault.opened(record), fence))
            }
            if records.count < Self.claimBatch { return claimed }
        }
    }

    /// Renews the leases every lease/3 until cancelled (`serve --once`).
    func keepRenewing() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: book.lease / 3)
            if Task.isCancelled { return }
            try? await renew()
            _ = try? await store.heartbeat(node, version: version, startedAt: startedAt, lease: book.lease)
        }
    }

    // MARK: - One cycle

    /// Renew, heartbeat, balance. A database that cannot be reached skips the cycle: the
    /// workers wait for it anyway, and a lease that runs out meanwhile is found lost (or renewed)
    /// when it is back.
    func cycle() async {
        do {
            try await renew()
            let snapshot = try await store.heartbeat(node, version: version, startedAt: startedAt, lease: book.lease)
            let nodes = snapshot.nodes.map(\.id)
            if nodes != lastNodes {
                logger.info("cluster nodes changed", metadata: ["cluster.nodes": "\(nodes.joined(separator: ","))"])
                lastNodes = nodes
            }
            guard !stopping.isFired else { return }
            let held = await supervisor.leaseCandidates(Array(book.held.keys.filter { !releasing.contains($0) }))
            let plan = LeasePlanner.plan(node: node, nodes: nodes, total: snapshot.totalAccounts, held: held)
            // A supervisor that began shutdown starts no more workers: nothing to claim for.
            if plan.claim > 0, await supervisor.isSupervising { try await claim(plan.claim) }
            for id in plan.release { giveUp(id) }
            if lastError != nil {
                logger.notice("cluster coordination resumed")
                lastError = nil
            }
            if let after = takeExpiredAfter, ContinuousClock.now >= after { takeExpiredAfter = nil }
        } catch {
            let message = "\(error)"
            if lastError != message {
                logger.warning("cluster coordination failed; retrying", metadata: ["error": "\(message)"])
                lastError = message
            }
            takeExpiredAfter = ContinuousClock.now + book.lease
        }
    }

    /// Renews every lease this node holds; a lease the database no longer gives it is lost, and
    /// its worker stops. A lease the database still gives it but no worker uses (a claim whose
    /// answer was lost, a worker that stopped) is given up.
    private func renew() async throws {
        let sent = ContinuousClock.now
        let renewed = try await store.renew(node, lease: book.lease)
        var lost: [AccountID] = []
        for (id, epoch) in book.held where renewed[id] != epoch { lost.append(id) }
        book.renewed(renewed, sentAt: sent)
        for id in lost {
            book.remove(id)
            releasing.remove(id)
            logger.warning("lease lost; worker stopped", metadata: ["account.id": "\(id)"])
            await supervisor.leaseLost(id)
        }
        let held = book.held
        let running = await supervisor.runningAccounts()
        var unused = renewed.keys.filter { held[$0] == nil && !running.contains($0) }
        // In the book without a worker (it stopped for good, or was never started because the
        // supervisor was stopping): given up, so that another daemon syncs it.
        for id in held.keys where !running.contains(id) && !releasing.contains(id) {
            guard let claimed = claimedAt[id], ContinuousClock.now - claimed > book.lease else { continue }
            book.remove(id)
            unused.append(id)
        }
        claimedAt = claimedAt.filter { book.fence(for: $0.key) != nil }
        if !unused.isEmpty { try await store.release(node, unused) }
    }

    /// Claims up to `count` accounts in batches and starts their workers.
    private func claim(_ count: Int) async throws {
        var left = count
        while left > 0, !stopping.isFired {
            let sent = ContinuousClock.now
            let excluded = Array(await supervisor.runningAccounts())
            let records = try await store.claim(
                node, lease: book.lease, limit: min(left, Self.claimBatch), excluding: excluded,
                takeExpired: takeExpiredAfter == nil)
            for record in records {
                let epoch = record.lease?.epoch ?? 0
                book.claimed(record.id, epoch: epoch, sentAt: sent)
                claimedAt[record.id] = sent
                await supervisor.adopt(vault.opened(record), fence: LeaseFence(node: node, epoch: epoch))
            }
            if !records.isEmpty {
                logger.info("accounts claimed", metadata: ["cluster.claimed": "\(records.count)"])
            }
            left -= records.count
            if records.count < min(left + records.count, Self.claimBatch) { break }
        }
        await takeCommands()
    }

    /// Stops an account's worker (after its run in flight) and gives its lease up.
    private func giveUp(_ id: AccountID) {
        releasing.insert(id)
        Task {
            await supervisor.stopWorker(id)
            await self.finishRelease(id)
        }
    }

    private func finishRelease(_ id: AccountID) async {
        defer { releasing.remove(id) }
        guard book.fence(for: id) != nil else { return }
        do {
            try await store.release(node, [id])
            book.remove(id)
        } catch {
            // Still ours in the database: the next renewal finds it without a worker and gives it up.
            book.remove(id)
        }
    }

    // MARK: - Commands

    /// Takes the commands queued for this node and its accounts and carries each out in its own
    /// task (a `sync --wait` must not hold up the next renewal).
    func takeCommands() async {
        let commands: [ClusterCommand]
        do {
            commands = try await store.takeCommands(for: node, maxAge: ClusterLink.commandLifetime)
        } catch StoreError.unavailable {
            return  // an outage, logged once by the store; the commands wait in the database
        } catch {
            // A statement that timed out may still commit: then the commands it took are gone.
            logger.warning("cluster commands not taken", metadata: ["error": "\(error)"])
            return
        }
        var groups: [String: [ClusterCommand]] = [:]
        var order: [String] = []
        for command in commands {
            let key = command.account.map { "account:\($0)" } ?? "node:\(command.node ?? "")"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(command)
        }
        for key in order {
            let previous = queues[key]
            let batch = groups[key] ?? []
            let task = Task {
                await previous?.value
                for (index, command) in batch.enumerated() where !(await self.carryOut(command)) {
                    // Not here: this command and the ones after it go back, in their order.
                    await self.requeue(batch[index...])
                    break
                }
            }
            queues[key] = task
            Task {
                await task.value
                self.finished(key, task)
            }
        }
    }

    private func finished(_ key: String, _ task: Task<Void, Never>) {
        if queues[key] == task { queues[key] = nil }
    }

    /// Carries a command out and answers it.
    /// - Returns: false when its account has no worker here (the caller sends it back).
    private func carryOut(_ command: ClusterCommand) async -> Bool {
        let reply: ClusterReply
        switch command.action {
        case .syncAll(let trigger, let wait):
            if wait {
                reply = ClusterReply(summary: await supervisor.syncAll(trigger, localOnly: true))
            } else {
                reply = ClusterReply(queued: await supervisor.triggerAll(trigger, localOnly: true))
            }
        case .sync, .setAutoSync, .tokensReplaced, .authorizationRemoved, .stop:
            guard let id = command.account else { return true }
            guard await supervisor.hasWorker(id), let answer = await carryOut(command.action, for: id) else {
                return false
            }
            reply = answer
            // Nobody waits for the answer of such a command: its failure would go unseen.
            if !command.wantsReply, let error = reply.error {
                logger.warning("cluster command failed", metadata: metadata(command, id).merging(["error": "\(error)"]) { $1 })
            }
        }
        await link.answer(command, reply)
        return true
    }

    /// Commands whose account has no worker here (given up or lost since they were taken, or not
    /// started yet) go back into the queue for the account's holder, in their order, after a
    /// pause so that they do not bounce between daemons; one older than a command lives is
    /// dropped.
    private func requeue(_ commands: ArraySlice<ClusterCommand>) async {
        try? await Task.sleep(for: .milliseconds(500))
        for command in commands {
            guard let id = command.account else { continue }
            if let sentAt = command.sentAt, Date().timeIntervalSince(sentAt) > ClusterLink.commandLifetime.seconds {
                logger.warning("cluster command dropped: no worker took it in time", metadata: metadata(command, id))
                continue
            }
            do {
                try await store.send(command)
            } catch {
                logger.warning(
                    "cluster command lost: not queued again",
                    metadata: metadata(command, id).merging(["error": "\(error)"]) { $1 })
            }
        }
    }

    /// What names a command to one account in the log.
    private func metadata(_ command: ClusterCommand, _ id: AccountID) -> Logger.Metadata {
        ["cluster.command": "\(command.id)", "account.id": "\(id)", "cluster.action": "\(command.action)"]
    }

    /// Carries out a command for an account this daemon has a worker for.
    /// - Returns: The answer; nil when the worker went away meanwhile (the command goes back).
    private func carryOut(_ action: ClusterCommand.Action, for id: AccountID) async -> ClusterReply? {
        do {
            switch action {
            case .sync(let trigger, let wait):
                return ClusterReply(entry: try await supervisor.trigger(id, trigger, wait: wait))
            case .setAutoSync(let enabled):
                try await supervisor.setAutoSync(id, enabled: enabled)
            case .tokensReplaced:
                try await supervisor.reloadTokens(id)
            case .authorizationRemoved(let reason):
                try await supervisor.authorizationRemoved(id, reason: reason)
            case .stop:
                releasing.insert(id)
                await supervisor.stopWorker(id)
                await finishRelease(id)
            case .syncAll:
                break
            }
            return ClusterReply()
        } catch is NoWorker {
            return nil
        } catch StoreError.leaseLost {
            // The lease went while the command was carried out: the next holder gets it.
            return nil
        } catch {
            return ClusterReply(error: "\(error)")
        }
    }
}
