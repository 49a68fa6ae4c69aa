import Foundation
import Testing

@testable import PostSync

/// The decisions that used to live in `AccountActor`, as events and actions: pure, no I/O, time
/// passed in.
@Suite struct AccountStateMachineActionTests {
    let start = AccountStateMachineTests().start
    /// The fixture's settings without jitter, so that instants are exact.
    let settings = AccountStateMachineTests().settings.withoutJitter

    /// A TikTok account (it has a refresh token) due 10 minutes after `start`.
    func machine(_ change: (inout AccountRecord) -> Void = { _ in }) -> AccountStateMachine {
        var record = AccountRecord(
            id: AccountID(platform: .tiktok, externalID: "1"), accessToken: "t", refreshToken: "r", createdAt: start)
        record.nextSyncAt = start.addingTimeInterval(600)
        change(&record)
        return AccountStateMachine(settings: settings, record: record, now: start)
    }

    /// Should run for the strongest trigger (manual > cron > webhook > schedule), and only for
    /// triggers the state allows.
    @Test func triggerPrecedence() {
        var random = SplitMix64(seed: 1)
        var idle = machine()
        #expect(idle.handle(.wake(now: start, triggers: []), random: &random) == .sleep(until: start.addingTimeInterval(600)))
        #expect(idle.handle(.wake(now: start, triggers: [.webhook]), random: &random) == .sync(.webhook))
        #expect(idle.handle(.wake(now: start, triggers: [.webhook, .manual, .cron]), random: &random) == .sync(.manual))
        #expect(idle.handle(.wake(now: start, triggers: [.webhook, .cron]), random: &random) == .sync(.cron))
        let due = start.addingTimeInterval(601)
        #expect(idle.handle(.wake(now: due, triggers: []), random: &random) == .sync(.schedule))
        #expect(idle.handle(.wake(now: due, triggers: [.webhook]), random: &random) == .sync(.webhook))

        var paused = machine { $0.autoSync = false }
        #expect(paused.handle(.wake(now: start, triggers: [.webhook, .cron]), random: &random) == .sleep(until: nil))
        #expect(paused.handle(.wake(now: start, triggers: [.webhook, .manual]), random: &random) == .sync(.manual))
        var dead = machine { $0.state = .needsReauth }
        #expect(dead.handle(.wake(now: start, triggers: [.manual]), random: &random) == .sleep(until: nil))
    }

    /// A storm of webhooks: at most one webhook run per `webhookSpacing` after the last run
    /// ended, the ones in between coalesced into it (none lost); an operator, cron or the
    /// schedule does not wait.
    @Test func webhookStormIsSpaced() {
        var random = SplitMix64(seed: 1)
        var account = machine()
        let spacing = AccountStateMachine.webhookSpacing
        #expect(account.handle(.wake(now: start, triggers: [.webhook]), random: &random) == .sync(.webhook))
        _ = account.handle(.runStarted(token: .use), random: &random)
        let ended = start.addingTimeInterval(0.2)
        _ = account.handle(.runFinished(.succeeded, now: ended, observation: .none, prices: nil), random: &random)
        // Webhooks right after: none runs, the first one's wait is the spacing.
        let spaced = ended.addingTimeInterval(spacing)
        for offset in [0.0, 0.1, 0.5, 0.9] {
            let now = ended.addingTimeInterval(offset * spacing)
            #expect(account.handle(.wake(now: now, triggers: [.webhook]), random: &random) == .sleep(until: spaced))
        }
        // A plain wake before the spacing (the timer, coalesced early) still waits.
        #expect(
            account.handle(.wake(now: spaced.addingTimeInterval(-0.01), triggers: []), random: &random) == .sleep(until: spaced))
        // At the spacing the pending webhook runs without a new trigger, once.
        #expect(account.handle(.wake(now: spaced, triggers: []), random: &random) == .sync(.webhook))
        _ = account.handle(.runStarted(token: .use), random: &random)
        _ = account.handle(.runFinished(.succeeded, now: spaced, observation: .none, prices: nil), random: &random)
        let next = account.nextSyncAt!
        #expect(
            account.handle(.wake(now: spaced.addingTimeInterval(2 * spacing), triggers: []), random: &random)
                == .sleep(until: next))
        // An operator and cron do not wait for the spacing, and their run takes the pending webhook along.
        #expect(
            account.handle(.wake(now: spaced, triggers: [.webhook]), random: &random)
                == .sleep(until: spaced.addingTimeInterval(spacing)))
        #expect(account.handle(.wake(now: spaced, triggers: [.manual]), random: &random) == .sync(.manual))
        #expect(account.handle(.wake(now: spaced, triggers: [.cron]), random: &random) == .sync(.cron))
        _ = account.handle(.runStarted(token: .use), random: &random)
        _ = account.handle(.runFinished(.succeeded, now: spaced, observation: .none, prices: nil), random: &random)
        #expect(
            account.handle(.wake(now: spaced.addingTimeInterval(spacing), triggers: []), random: &random)
                == .sleep(until: account.nextSyncAt))
        // The schedule, when due, does not wait either.
        let due = account.nextSyncAt!
        #expect(account.handle(.wake(now: due, triggers: [.webhook]), random: &random) == .sync(.webhook))
        // A paused account forgets a pending webhook (only an operator runs it).
        var paused = machine()
        _ = paused.handle(.runStarted(token: .use), random: &random)
        _ = paused.handle(.runFinished(.succeeded, now: start, observation: .none, prices: nil), random: &random)
        #expect(
            paused.handle(.wake(now: start, triggers: [.webhook]), random: &random)
                == .sleep(until: start.addingTimeInterval(spacing)))
        _ = paused.handle(.autoSyncChanged(false, now: start), random: &random)
        #expect(paused.handle(.wake(now: start.addingTimeInterval(spacing), triggers: []), random: &random) == .sleep(until: nil))
    }

    /// Should refresh once after `access_token_invalid` (saving the new pair before the retry),
    /// and call auth dead when the retry is rejected too.
    @Test func refreshOnceThenDeadAuth() {
        var random = SplitMix64(seed: 1)
        var m = machine()
        #expect(m.handle(.runStarted(token: .use), random: &random) == .fetch)
        #expect(m.state == .syncing)
        #expect(m.handle(.accessTokenRejected("revoked", canRefresh: true), random: &random) == .refreshToken)
        #expect(m.handle(.tokenRefreshed, random: &random) == .saveTokens)
        #expect(m.hasUnsavedTokens)
        #expect(m.handle(.tokenSaved, random: &random) == .fetch, "the new pair is used only once saved")
        #expect(!m.hasUnsavedTokens && m.refreshedInRun)
        #expect(m.handle(.accessTokenRejected("revoked", canRefresh: true), random: &random) == .fail(.authDead("revoked")))
        #expect(
            m.handle(.runFinished(.authDead("revoked"), now: start), random: &random)
                == .persist(
                    AccountSchedule(state: .needsReauth, nextSyncAt: nil, consecutiveFailures: 1, lastError: "revoked")))
    }

    /// Should call auth dead at once when no refresh token is stored, and when the policy says so.
    @Test func deadWithoutRefreshToken() {
        var random = SplitMix64(seed: 1)
        var m = machine()
        _ = m.handle(.runStarted(token: .use), random: &random)
        #expect(m.handle(.accessTokenRejected("gone", canRefresh: false), random: &random) == .fail(.authDead("gone")))
        var expired = machine()
        #expect(expired.handle(.runStarted(token: .dead("expired")), random: &random) == .fail(.authDead("expired")))
        var due = machine()
        #expect(due.handle(.runStarted(token: .refresh), random: &random) == .refreshToken)
    }

    /// Should retry a failed token save, then fail the run and write the pair first in the next
    /// run, before anything else (also before the next refresh).
    @Test func tokenSaveRetriesThenKeepsThePair() {
        var random = SplitMix64(seed: 1)
        var m = machine()
        _ = m.handle(.runStarted(token: .refresh), random: &random)
        #expect(m.handle(.tokenRefreshed, random: &random) == .saveTokens)
        #expect(m.handle(.tokenSaveFailed, random: &random) == .saveTokens)
        #expect(m.handle(.tokenSaveFailed, random: &random) == .saveTokens)
        guard case .fail(.failed) = m.handle(.tokenSaveFailed, random: &random) else {
            Issue.record("three failed saves end the run")
            return
        }
        _ = m.handle(.runFinished(.failed("db", retryAfter: nil), now: start), random: &random)
        #expect(m.hasUnsavedTokens, "the rotated pair stays in memory")
        #expect(m.state == .backoff)
        #expect(m.handle(.runStarted(token: .refresh), random: &random) == .saveTokens, "saved before a new refresh")
        #expect(m.handle(.tokenSaved, random: &random) == .refreshToken)
        var next = machine()
        _ = next.handle(.runStarted(token: .refresh), random: &random)
        _ = next.handle(.tokenRefreshed, random: &random)
        _ = next.handle(.tokenSaveFailed, random: &random)
        #expect(next.handle(.tokenSaved, random: &random) == .fetch, "a save that succeeds on retry goes on")
    }

    /// Should let an operator's token set during a refresh win: the refreshed pair is dropped,
    /// and after the run the account syncs again at once with a clean slate.
    @Test func operatorTokenWinsARace() {
        var random = SplitMix64(seed: 1)
        var m = machine()
        _ = m.handle(.runStarted(token: .refresh), random: &random)
        let later = start.addingTimeInterval(5)
        #expect(m.handle(.tokenReplaced(now: later), random: &random) == .none, "nothing is persisted mid-run")
        #expect(m.handle(.tokenRefreshed, random: &random) == .discardRefreshedTokens)
        #expect(!m.hasUnsavedTokens && !m.refreshedInRun)
        let end = start.addingTimeInterval(8)
        let action = m.handle(.runFinished(.authDead("old token"), now: end), random: &random)
        #expect(action == .persist(AccountSchedule(state: .idle, nextSyncAt: end)), "the verdict was about the old token")
    }

    /// Should clear needs_reauth on a new token and sync at once; autoSync does not revive it.
    @Test func tokenReplacedRevivesDeadAuth() {
        var random = SplitMix64(seed: 1)
        var m = machine {
            $0.state = .needsReauth
            $0.consecutiveFailures = 3
            $0.lastError = "dead"
        }
        #expect(
            m.handle(.autoSyncChanged(true, now: start), random: &random)
                == .persist(AccountSchedule(state: .needsReauth, nextSyncAt: nil, consecutiveFailures: 3, lastError: "dead")))
        #expect(
            m.handle(.tokenReplaced(now: start), random: &random) == .persist(AccountSchedule(state: .idle, nextSyncAt: start)))
        #expect(m.isActive)
    }

    /// Should park on a revoked authorization and on a crash loop, and leave both out of
    /// `sync --all`.
    @Test func parking() {
        var random = SplitMix64(seed: 1)
        var revoked = machine()
        #expect(
            revoked.handle(.authorizationRemoved("removed"), random: &random)
                == .persist(AccountSchedule(state: .needsReauth, nextSyncAt: nil, lastError: "removed")))
        #expect(!revoked.isActive)
        var looping = machine()
        #expect(
            looping.handle(.quarantined("crash loop"), random: &random)
                == .persist(AccountSchedule(state: .quarantined, nextSyncAt: nil, lastError: "crash loop")))
        #expect(!looping.isActive)
        #expect(!machine { $0.autoSync = false }.isActive)
        #expect(machine { $0.state = .backoff }.isActive, "accounts in backoff are tried by sync --all")
    }

    /// Should back a crash off like a failure (the supervisor counts it separately).
    @Test func crashIsScheduledLikeAFailure() {
        var random = SplitMix64(seed: 1)
        var m = machine()
        _ = m.handle(.runStarted(token: .use), random: &random)
        guard case .persist(let schedule) = m.handle(.runFinished(.crashed("boom"), now: start), random: &random) else {
            Issue.record("a crash persists its schedule")
            return
        }
        #expect(schedule.state == .backoff && schedule.consecutiveFailures == 1 && schedule.lastError == "boom")
        #expect(schedule.nextSyncAt! >= start.addingTimeInterval(30))
    }

    /// Should map what a run threw to its outcome and SyncLog status.
    @Test func errorsToOutcomes() {
        #expect(
            AccountStateMachine.outcome(of: PlatformError.deadAuth("190")) == .authDead(PlatformError.deadAuth("190").description)
        )
        #expect(
            AccountStateMachine.outcome(of: PlatformError.rateLimited(retryAfter: .seconds(60), "17"))
                == .failed(PlatformError.rateLimited(retryAfter: .seconds(60), "17").description, retryAfter: .seconds(60)))
        #expect(
            AccountStateMachine.outcome(of: PlatformError.transient("503"))
                == .failed(PlatformError.transient("503").description, retryAfter: nil))
        #expect(
            AccountStateMachine.outcome(of: DeadlineExceeded(limit: .seconds(55)))
                == .failed("sync deadline of 55s exceeded", retryAfter: nil))
        #expect(AccountStateMachine.outcome(of: RunEnded(outcome: .authDead("x"))) == .authDead("x"))
        struct Boom: Error {}
        guard case .crashed(let message) = AccountStateMachine.outcome(of: Boom()) else {
            Issue.record("an unknown error is a crash")
            return
        }
        #expect(message.hasPrefix("internal error"))
        #expect(AccountStateMachine.RunOutcome.succeeded.status == .success)
        #expect(AccountStateMachine.RunOutcome.partial("insights").status == .partial)
        #expect(AccountStateMachine.RunOutcome.crashed("x").status == .error)
        #expect(AccountStateMachine.RunOutcome.partial("insights").message == "insights")
    }

    /// Should fail a run that the database outage stopped, not crash the worker: a crash loop
    /// would quarantine every account during one outage.
    @Test func databaseOutageFailsTheRunWithoutACrash() {
        let outage = StoreError.unavailable("connection refused")
        #expect(AccountStateMachine.outcome(of: outage) == .failed(outage.description, retryAfter: nil))
        #expect(outage.description.contains("database unavailable"))
    }

    /// Should apply a shorter interval to the pending sync at once, a longer one only later.
    @Test func settingsChange() {
        var random = SplitMix64(seed: 1)
        var m = machine { $0.nextSyncAt = self.start.addingTimeInterval(900) }
        var shorter = settings
        shorter.interval = .seconds(60)
        _ = m.handle(.settingsChanged(shorter, now: start), random: &random)
        #expect(m.nextSyncAt == start.addingTimeInterval(60))
        var longer = settings
        longer.interval = .seconds(3600)
        _ = m.handle(.settingsChanged(longer, now: start), random: &random)
        #expect(m.nextSyncAt == start.addingTimeInterval(60))
    }
}

extension AccountStateMachine.Settings {
    /// The same settings with `jitter` 0.
    var withoutJitter: Self {
        var copy = self
        copy.jitter = 0
        return copy
    }

}
