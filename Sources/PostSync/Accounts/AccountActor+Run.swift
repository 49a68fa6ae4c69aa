import Foundation
import Logging

/// A run that failed for a reason that is neither the platform's nor a crash.
struct RunFailure: Error, CustomStringConvertible {
    var description: String
}

/// The machine ended the run without (further) platform calls.
struct RunEnded: Error, CustomStringConvertible {
    var outcome: AccountStateMachine.RunOutcome
    var description: String { outcome.message ?? "run ended" }
}

extension AccountActor {
    /// What one run produced.
    struct RunProduct: Sendable {
        var fetch: FetchResult
        var ingest: IngestResult
    }

    /// One sync run: waits for a daemon-wide slot, then carries out the machine's steps (save a
    /// pending token, refresh, fetch, store), writes the SyncLog entry and the next schedule.
    /// - Returns: The entry, or nil when shutdown began before the run could start.
    /// - Throws: What is not a sync outcome (the supervisor restarts the worker).
    ///
    /// Never inlined: an async function's frame holds the locals of everything inlined into it,
    /// and a caller that lives on (the supervisor's loop of an idle account) would keep this
    /// run's frame allocated all the time.
    @inline(never)
    func runSync(trigger: SyncTrigger) async throws -> SyncLogEntry? {
        // No platform call for a run whose result could not be stored (CONTRACT section 9): during
        // a database outage the run waits here, and only cancellation (shutdown) ends the wait.
        do { try await environment.store.health.waitUntilAvailable() } catch { return nil }
        do { try await environment.limiter.acquire() } catch { return nil }
        defer { environment.limiter.release() }
        try await waitForLease()
        let clock = environment.clock
        let attempt = machine.consecutiveFailures + 1
        let started = clock.now
        let calls = CallCounter()
        if trigger == .schedule, let due = machine.nextSyncAt {
            environment.observeLateness?(max(0, started.timeIntervalSince(due)))
        }
        var product: RunProduct?
        var crash: (any Error)?
        var outcome: AccountStateMachine.RunOutcome = .succeeded
        var recheckedToken = false
        while true {
            do {
                product = try await withDeadline(runSettings.deadline, clock: clock, timer: environment.wakeTimer) {
                    try await self.syncBody(now: started, calls: calls)
                }
                let problems = product?.fetch.problems ?? []
                outcome = problems.isEmpty ? .succeeded : .partial(problems.joined(separator: "; "))
            } catch StoreError.leaseLost(let lost) {
                // Another daemon holds the account now: nothing more is written, the worker stops.
                throw StoreError.leaseLost(lost)
            } catch {
                outcome = AccountStateMachine.outcome(of: error)
                if case .crashed = outcome { crash = error }
            }
            // Before needs_reauth: another daemon or an operator may have stored a newer token
            // meanwhile (CONTRACT section 10); if so, one more try with it.
            guard case .authDead = outcome, !recheckedToken, await adoptNewerStoredToken() else { break }
            recheckedToken = true
        }
        let refreshed = machine.refreshedInRun
        let finished = clock.now
        let observation = product.map {
            SyncObservation(publications: $0.fetch.posts.compactMap(\.publishedAt), changedPosts: $0.ingest.synced)
        }
        // The adaptive schedule's board counts what was spent, whoever asked for the run.
        var prices: SchedulePrices?
        if case .adaptive = machine.settings.mode, let board = environment.schedule {
            prices = board.prices(for: id.platform, now: finished, recordingSync: calls.value > 0)
        }
        var next = handle(.runFinished(outcome, now: finished, observation: observation ?? .none, prices: prices))
        if outcome.status != .error {
            record.lastSyncAt = finished
            // With the schedule: a run whose page was unchanged wrote no posts (nor this).
            if case .persist(var schedule) = next {
                schedule.lastSyncAt = finished
                next = .persist(schedule)
            }
        }
        let entry = SyncLogEntry(
            accountId: id.description, platform: id.platform, trigger: trigger,
            postsFound: product?.ingest.found ?? 0, postsSynced: product?.ingest.synced ?? 0, status: outcome.status,
            errorMessage: outcome.message, duration: Int64((finished.timeIntervalSince(started) * 1000).rounded()),
            createdAt: finished, startedAt: started, apiCalls: calls.value, tokenRefreshed: refreshed, attempt: attempt)
        let written = try await environment.recorder.record(entry, fence: fence)
        if let crash {
            logger.error("sync run crashed", metadata: ["error": "\(crash)"])
            throw crash
        }
        try await execute(next)
        // Checked first: `logger` is built on each use, and this line is on every run's path.
        if environment.logger.logLevel <= .debug {
            logger.debug(
                "sync run finished",
                metadata: [
                    "sync.status": "\(outcome.status)", "sync.posts_synced": "\(written.postsSynced)",
                    "sync.seq": "\(written.seq)",
                ])
        }
        return written
    }

    /// The run's steps inside the deadline, as the machine orders them.
    func syncBody(now: Date, calls: CallCounter) async throws -> RunProduct {
        guard let client = environment.clients[id.platform] else {
            throw RunFailure(description: "no \(id.platform) client configured")
        }
        var action = handle(.runStarted(token: runSettings.tokenPolicy.decide(record, now: now)))
        var refreshed: RefreshedToken?
        while true {
            switch action {
            case .saveTokens:
                if let fresh = refreshed.take() { apply(fresh, now: now) }
                action = try await saveTokens()
            case .refreshToken:
                try await leaseForRefresh()
                // Once the platform has issued a new pair the old refresh token is dead: the
                // answer must be read, to be saved (the HTTP request's timeout bounds it).
                let (id, access, refresh) = (self.id, record.accessToken, record.refreshToken)
                refreshed = try await Self.outsideRun {
                    try await client.refresh(account: id, accessToken: access, refreshToken: refresh, now: now, calls: calls)
                }
                action = handle(.tokenRefreshed)
            case .discardRefreshedTokens:
                refreshed = nil
                action = .fetch
            case .fetch:
                do {
                    return try await fetchAndStore(client: client, now: now, calls: calls)
                } catch PlatformError.accessTokenInvalid(let message) {
                    let dead = PlatformError.deadAuth(message).description
                    action = handle(.accessTokenRejected(dead, canRefresh: record.refreshToken != nil))
                }
            case .fail(let outcome):
                throw RunEnded(outcome: outcome)
            case .sync, .sleep, .persist, .none:
                throw RunFailure(description: "internal error: unexpected step \(action) inside a run")
            }
        }
    }

    /// Takes a refreshed pair into the record (it is saved next, before it is used).
    private func apply(_ fresh: RefreshedToken, now: Date) {
        // The pair the database holds until this one is saved (an older unsaved pair's base
        // stays: the database still holds that one).
        if replacing == nil { replacing = TokenPair(access: record.accessToken, refresh: record.refreshToken) }
        record.accessToken = fresh.accessToken
        if let rotated = fresh.refreshToken, !rotated.isEmpty { record.refreshToken = rotated }
        if let expires = fresh.expiresAt { record.tokenExpiresAt = expires }
        if let refreshExpires = fresh.refreshExpiresAt { record.refreshExpiresAt = refreshExpires }
        record.tokenRefreshedAt = now
        logger.info(
            "token refreshed", metadata: ["token.expires_at": "\(record.tokenExpiresAt.map(Timestamp.format) ?? "unknown")"])
    }

    /// Writes the in-memory token pair by compare-and-swap on the stored pair it replaced; the
    /// machine decides whether to try again. A pair that cannot be written stays in memory (the
    /// old refresh token is already dead, so dropping the new one would lock the account out) and
    /// is written first in the next run. When an operator or another daemon stored a newer pair
    /// meanwhile, that one wins and is used. When the lease was lost meanwhile, the pair is saved
    /// all the same (it is the only valid one) and the new holder is told to read it.
    private func saveTokens() async throws -> AccountStateMachine.Action {
        let store = environment.store
        let update = TokenUpdate(record, refreshedAt: environment.clock.now)
        let replaced = replacing ?? TokenPair(access: record.accessToken, refresh: record.refreshToken)
        let saved: RotationSave
        do {
            saved = try await saveRotated(update, replacing: replaced)
        } catch {
            let next = handle(.tokenSaveFailed)
            if case .fail = next {
                logger.critical("refreshed token could not be saved; kept in memory", metadata: ["error": "\(error)"])
            }
            return next
        }
        replacing = nil
        switch saved {
        case .saved(stillHeld: true):
            break
        case .saved(stillHeld: false):
            logger.warning("lease lost during a token refresh; the new token was saved for the new holder")
            await tellHolderTokensReplaced()
            throw StoreError.leaseLost(id)
        case .superseded:
            logger.warning("a newer token was stored during the refresh; using it")
            // This worker's refreshed pair is the superseded one now: the stored one must be read.
            let id = self.id
            if let stored = try await Self.outsideRun({ try await store.account(id) }) { adoptTokens(of: stored) }
        }
        return handle(.tokenSaved)
    }

    /// Before a worker leaves (lease lost, given up, shutdown): a refreshed pair still only in
    /// memory is saved by compare-and-swap, since it is the only valid one, and the account's
    /// holder is told to read it.
    @inline(never)  // as `runSync`: it must not grow the frame of the supervisor's loop
    public func saveUnsavedTokensBeforeLeaving() async {
        guard let replaced = replacing else { return }
        let update = TokenUpdate(record, refreshedAt: environment.clock.now)
        do {
            let saved = try await saveRotated(update, replacing: replaced)
            replacing = nil
            if saved == .saved(stillHeld: false) { await tellHolderTokensReplaced() }
            logger.notice("refreshed token saved before the worker left")
        } catch {
            logger.critical("refreshed token could not be saved before the worker left", metadata: ["error": "\(error)"])
        }
    }

    /// Tells the account's new holder to read the pair this worker saved after it lost the lease:
    /// that holder may have found the old pair dead meanwhile and put the account in
    /// `needs_reauth`. Sent outside the run: sent from a run cancelled by its deadline, it was
    /// dropped before it reached the database, and the account stayed in `needs_reauth` with a
    /// valid token.
    private func tellHolderTokensReplaced() async {
        guard let cluster = environment.cluster else { return }
        let command = ClusterCommand(account: id, action: .tokensReplaced, wantsReply: false)
        do {
            _ = try await Self.outsideRun { try await cluster.request(command, timeout: .zero) }
        } catch {
            logger.error(
                "the new holder was not told about the saved token: if it found the old one dead, the account stays in needs_reauth",
                metadata: ["error": "\(error)"])
        }
    }

    /// The compare-and-swap save of a refreshed pair, outside the run: the old refresh token is
    /// already dead, so this write must get its chance; the statement time limit still bounds it.
    private func saveRotated(_ update: TokenUpdate, replacing replaced: TokenPair) async throws -> RotationSave {
        let store = environment.store
        let fence = self.fence
        let id = self.id
        return try await Self.outsideRun { try await store.saveRotatedTokens(id, update, replacing: replaced, fence: fence) }
    }

    /// Runs a step of a token's rotation in a task of its own, so that it is not cancelled with
    /// the run. A run's deadline cancels it (`withDeadline`), and a daemon stopped mid-refresh
    /// (SIGSTOP, a paused VM) wakes up past that deadline; a cancelled caller's store statement
    /// fails before it is sent. Once the platform has issued a new pair, every step up to telling
    /// the account's holder must still happen, each bounded by its own timeout.
    private static func outsideRun<T: Sendable>(_ step: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task(operation: step).value
    }

    /// Takes the stored record's tokens into memory.
    func adoptTokens(of stored: AccountRecord) {
        record.accessToken = stored.accessToken
        record.refreshToken = stored.refreshToken
        record.tokenExpiresAt = stored.tokenExpiresAt
        record.refreshExpiresAt = stored.refreshExpiresAt
        record.tokenRefreshedAt = stored.tokenRefreshedAt
    }

    /// Re-reads the stored tokens; true (and taken into memory) when they differ from the ones
    /// the run just found dead.
    private func adoptNewerStoredToken() async -> Bool {
        guard let stored = try? await environment.store.account(id) else { return false }
        guard stored.accessToken != record.accessToken || stored.refreshToken != record.refreshToken,
            !stored.accessToken.isEmpty
        else { return false }
        logger.notice("the stored token changed since this run read it; trying once more with it")
        adoptTokens(of: stored)
        replacing = nil
        return true
    }

    /// With several daemons: a run starts only while its lease is believed held. After an
    /// outage the coordinator renews it (or finds it lost, and this worker is stopped); this
    /// waits up to one lease for that.
    private func waitForLease() async throws {
        guard let fence, let book = environment.cluster?.book else { return }
        let end = ContinuousClock.now + book.lease
        while true {
            guard let remaining = book.remaining(id, epoch: fence.epoch) else { throw StoreError.leaseLost(id) }
            if remaining > .zero { return }
            guard ContinuousClock.now < end else { throw StoreError.leaseLost(id) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// With several daemons: a refresh starts only with at least `sync.deadline` of the lease
    /// left (CONTRACT section 10), extending the lease first when less is left.
    private func leaseForRefresh() async throws {
        guard let fence, let cluster = environment.cluster else { return }
        let deadline = runSettings.deadline
        // Known lost (the coordinator's renewal found it gone): no refresh, the worker stops.
        guard let remaining = cluster.book.remaining(id, epoch: fence.epoch) else { throw StoreError.leaseLost(id) }
        if LeasePlanner.mayRefresh(remaining: remaining, deadline: deadline) { return }
        let sent = ContinuousClock.now
        guard try await cluster.store.extendLease(id, fence: fence, atLeast: deadline) else {
            throw StoreError.leaseLost(id)
        }
        cluster.book.renewed([id: fence.epoch], sentAt: sent, length: deadline)
    }

    /// Fetches with the token in memory and stores what came back.
    private func fetchAndStore(client: any PlatformClient, now: Date, calls: CallCounter) async throws -> RunProduct {
        let store = environment.store
        let lookbackStart = record.lastSyncAt == nil ? nil : now.addingTimeInterval(-runSettings.lookback.seconds)
        var known: [String] = []
        if let lookbackStart, id.platform == .tiktok {
            if recentPosts == nil {
                recentPosts = PostTimes(try await store.recentPosts(of: id, publishedSince: lookbackStart))
            }
            recentPosts?.removeAll(before: lookbackStart)
            known = recentPosts?.idsNewestFirst() ?? []
        }
        let request = FetchRequest(
            account: id, login: record.login, accessToken: record.accessToken, lookbackStart: lookbackStart,
            knownRecentPostIDs: known, insightsFetchedAt: insightsFetchedAt, now: now)
        let result = try await client.fetch(request, calls: calls)
        // Only this worker writes its posts: the digest in its record (read with the row, then
        // kept with each page stored) is that of the page the store holds.
        let digest = PageDigest(result.posts)
        let ingest: IngestResult
        if digest == record.pageDigest {
            ingest = IngestResult(found: result.posts.count, synced: 0)
        } else {
            // Unknown until the store answers: a failure may still have committed the page.
            record.pageDigest = nil
            ingest = try await store.ingest(
                result.posts, for: id, now: environment.clock.now, fence: fence, digest: digest)
            record.pageDigest = digest
        }
        if id.platform == .tiktok, let lookbackStart {
            for post in result.posts {
                if let published = post.publishedAt, published >= lookbackStart { recentPosts?[post.postID] = published }
            }
        }
        for postID in result.insightsRead { insightsFetchedAt[postID] = now }
        // Pruned only when large: an insights time is consulted for `insights_every`, which may
        // be longer than the lookback.
        if insightsFetchedAt.count > 1000 {
            insightsFetchedAt.removeAll(before: now.addingTimeInterval(-runSettings.lookback.seconds))
        }
        return RunProduct(fetch: result, ingest: ingest)
    }
}
