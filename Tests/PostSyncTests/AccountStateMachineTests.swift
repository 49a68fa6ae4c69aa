import Foundation
import Testing

@testable import PostSync

@Suite struct AccountStateMachineTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)
    let settings = AccountStateMachine.Settings(
        interval: .seconds(900), jitter: 0.1, backoff: Backoff(min: .seconds(30), max: .seconds(1800)))

    func record(_ change: (inout AccountRecord) -> Void = { _ in }) -> AccountRecord {
        var r = AccountRecord(id: AccountID(platform: .instagram, externalID: "1"), accessToken: "t", createdAt: start)
        change(&r)
        return r
    }

    /// Should sync a never-synced account at once, then every interval ± jitter for a whole day.
    @Test func dayOfSchedule() {
        var random = SplitMix64(seed: 7)
        var machine = AccountStateMachine(settings: settings, record: record(), now: start)
        #expect(machine.next(now: start) == .sync(.schedule))
        var now = start
        var runs = 0
        var gaps: [TimeInterval] = []
        var last: Date?
        while now < start.addingTimeInterval(86_400) {
            switch machine.next(now: now) {
            case .sync:
                machine.apply(.runStarted(token: .use), &random)
                #expect(machine.state == .syncing)
                machine.apply(.runFinished(.succeeded, now: now), &random)
                if let last { gaps.append(now.timeIntervalSince(last)) }
                last = now
                runs += 1
            case .sleep(let until?):
                #expect(until > now)
                now = until
            default:
                Issue.record("an active account must always have a next sync")
                return
            }
        }
        // 24 h / 15 min = 96 runs, give or take the jitter.
        #expect((88...105).contains(runs))
        #expect(gaps.allSatisfy { (810...990).contains($0) })
        #expect(Set(gaps.map { Int($0) }).count > 10, "jitter spreads the gaps")
    }

    /// Should grow the backoff exponentially within min and max, and reset it after a success.
    @Test func backoffGrowsAndResets() {
        var random = SplitMix64(seed: 1)
        var machine = AccountStateMachine(settings: settings, record: record(), now: start)
        var now = start
        var ceilings: [TimeInterval] = []
        for failure in 1...8 {
            machine.apply(.runStarted(token: .use), &random)
            machine.apply(.runFinished(.failed("HTTP 503", retryAfter: nil), now: now), &random)
            #expect(machine.state == .backoff)
            #expect(machine.consecutiveFailures == failure)
            let wait = machine.nextSyncAt!.timeIntervalSince(now)
            let ceiling = settings.backoff.ceiling(failures: failure).seconds
            #expect(wait >= 30 && wait <= ceiling)
            ceilings.append(ceiling)
            now = machine.nextSyncAt!
        }
        #expect(ceilings == [30, 60, 120, 240, 480, 960, 1800, 1800])
        machine.apply(.runStarted(token: .use), &random)
        machine.apply(.runFinished(.succeeded, now: now), &random)
        #expect(machine.state == .idle)
        #expect(machine.consecutiveFailures == 0)
        #expect(machine.lastError == nil)
        let wait = machine.nextSyncAt!.timeIntervalSince(now)
        #expect((810...990).contains(wait))
    }

    /// Should wait at least as long as the platform's stated retry time when rate limited.
    @Test func rateLimitHonoursRetryAfter() {
        var random = SplitMix64(seed: 3)
        var machine = AccountStateMachine(settings: settings, record: record(), now: start)
        machine.apply(.runStarted(token: .use), &random)
        machine.apply(.runFinished(.failed("rate limited", retryAfter: .seconds(1200)), now: start), &random)
        #expect(machine.nextSyncAt!.timeIntervalSince(start) >= 1200)
    }

    /// Should stop scheduling on dead auth until a new token arrives, then sync at once.
    @Test func deadAuthWaitsForToken() {
        var random = SplitMix64(seed: 3)
        var machine = AccountStateMachine(settings: settings, record: record(), now: start)
        machine.apply(.runStarted(token: .use), &random)
        machine.apply(.runFinished(.authDead("code 190"), now: start), &random)
        #expect(machine.state == .needsReauth)
        #expect(machine.next(now: start.addingTimeInterval(86_400 * 30)) == .sleep(until: nil))
        #expect(!machine.mayRun(.schedule) && !machine.mayRun(.webhook) && !machine.mayRun(.manual))
        machine.apply(.autoSyncChanged(true, now: start), &random)
        #expect(machine.state == .needsReauth, "autoSync does not revive dead auth")
        let later = start.addingTimeInterval(3600)
        machine.apply(.tokenReplaced(now: later), &random)
        #expect(machine.state == .idle)
        #expect(machine.next(now: later) == .sync(.schedule))
    }

    /// Should pause when autoSync is off, still allow a manual run, and resume at once when on.
    @Test func autoSyncToggle() {
        var random = SplitMix64(seed: 3)
        var machine = AccountStateMachine(settings: settings, record: record(), now: start)
        machine.apply(.autoSyncChanged(false, now: start), &random)
        #expect(machine.state == .paused)
        #expect(machine.next(now: start.addingTimeInterval(99_999)) == .sleep(until: nil))
        #expect(machine.mayRun(.manual) && !machine.mayRun(.webhook) && !machine.mayRun(.schedule))
        machine.apply(.runStarted(token: .use), &random)
        machine.apply(.runFinished(.succeeded, now: start), &random)
        #expect(machine.state == .paused && machine.nextSyncAt == nil)
        machine.apply(.autoSyncChanged(true, now: start.addingTimeInterval(10)), &random)
        #expect(machine.next(now: start.addingTimeInterval(10)) == .sync(.schedule))
    }

    /// Should keep a persisted next sync across a restart instead of stampeding or forgetting.
    @Test func restoresPersistedSchedule() {
        let next = start.addingTimeInterval(600)
        let machine = AccountStateMachine(
            settings: settings,
            record: record {
                $0.nextSyncAt = next
                $0.lastSyncAt = self.start
            }, now: start)
        #expect(machine.next(now: start) == .sleep(until: next))
        let stuck = AccountStateMachine(
            settings: settings,
            record: record {
                $0.state = .syncing
                $0.nextSyncAt = self.start
            }, now: start)
        #expect(stuck.state == .idle, "a run interrupted by a crash is just due again")
        let dead = AccountStateMachine(settings: settings, record: record { $0.state = .needsReauth }, now: start)
        #expect(dead.next(now: start) == .sleep(until: nil))
        let paused = AccountStateMachine(settings: settings, record: record { $0.autoSync = false }, now: start)
        #expect(paused.state == .paused)
    }

    /// Should let only an operator wake a quarantined account.
    @Test func quarantine() {
        var random = SplitMix64(seed: 3)
        var machine = AccountStateMachine(settings: settings, record: record(), now: start)
        machine.apply(.quarantined("crash loop"), &random)
        #expect(machine.state == .quarantined)
        #expect(machine.mayRun(.manual) && !machine.mayRun(.schedule) && !machine.mayRun(.webhook))
        machine.apply(.autoSyncChanged(true, now: start), &random)
        #expect(machine.state == .idle)
    }
}

extension AccountStateMachine {
    /// The machine's verdict when the loop wakes at `now` with no trigger pending.
    func next(now: Date) -> Action {
        var copy = self
        var random = SplitMix64(seed: 0)
        return copy.handle(.wake(now: now, triggers: []), random: &random)
    }

    /// Feeds an event whose action the test does not look at.
    mutating func apply(_ event: Event, _ random: inout SplitMix64) {
        _ = handle(event, random: &random)
    }
}

@Suite struct TokenPolicyTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)
    let policy = TokenPolicy(instagramRefreshBefore: .seconds(7 * 86_400), tiktokRefreshBefore: .seconds(600))

    func account(_ platform: Platform, login: InstagramLogin? = nil, expiresIn: TimeInterval?, issuedAgo: TimeInterval? = nil)
        -> AccountRecord
    {
        AccountRecord(
            id: AccountID(platform: platform, externalID: "x"), login: login, accessToken: "t", refreshToken: "r",
            tokenExpiresAt: expiresIn.map { now.addingTimeInterval($0) },
            tokenRefreshedAt: issuedAgo.map { now.addingTimeInterval(-$0) }, createdAt: now)
    }

    /// Should refresh an Instagram Login token only once it is 24 h old and within refresh_before of expiry.
    @Test func instagramRefreshTiming() {
        #expect(
            policy.decide(account(.instagram, login: .instagram, expiresIn: 30 * 86_400, issuedAgo: 30 * 86_400), now: now)
                == .use)
        #expect(
            policy.decide(account(.instagram, login: .instagram, expiresIn: 6 * 86_400, issuedAgo: 54 * 86_400), now: now)
                == .refresh)
        #expect(
            policy.decide(account(.instagram, login: .instagram, expiresIn: 6 * 86_400, issuedAgo: 3600), now: now) == .use,
            "younger than 24 h")
        // Unknown issue time: taken as 60 days before expiry.
        #expect(policy.decide(account(.instagram, login: .instagram, expiresIn: 6 * 86_400), now: now) == .refresh)
        guard case .dead = policy.decide(account(.instagram, login: .instagram, expiresIn: -1), now: now) else {
            Issue.record("an expired Instagram token cannot be refreshed")
            return
        }
    }

    /// Should never refresh a Facebook Login token, and call it dead at expiry.
    @Test func facebookLoginNeverRefreshes() {
        #expect(policy.decide(account(.instagram, login: .facebook, expiresIn: 3600, issuedAgo: 59 * 86_400), now: now) == .use)
        guard case .dead = policy.decide(account(.instagram, login: .facebook, expiresIn: 0), now: now) else {
            Issue.record("an expired Facebook Login token needs re-authorization")
            return
        }
    }

    /// Should refresh a TikTok token within refresh_before of expiry, and call it dead when the refresh token expired.
    @Test func tiktokRefreshTiming() {
        #expect(policy.decide(account(.tiktok, expiresIn: 3600), now: now) == .use)
        #expect(policy.decide(account(.tiktok, expiresIn: 500), now: now) == .refresh)
        #expect(policy.decide(account(.tiktok, expiresIn: -10), now: now) == .refresh)
        var expired = account(.tiktok, expiresIn: -10)
        expired.refreshExpiresAt = now.addingTimeInterval(-1)
        guard case .dead = policy.decide(expired, now: now) else {
            Issue.record("an expired refresh token needs re-authorization")
            return
        }
    }
}

@Suite struct RestartPolicyTests {
    /// Should restart with growing delays and quarantine after more than max crashes within the window.
    @Test func quarantinesCrashLoop() {
        var policy = RestartPolicy(maxRestarts: 3, window: .seconds(60))
        let t = Date(timeIntervalSince1970: 0)
        #expect(policy.crashed(at: t) == .restart(after: .seconds(1)))
        #expect(policy.crashed(at: t.addingTimeInterval(1)) == .restart(after: .seconds(2)))
        #expect(policy.crashed(at: t.addingTimeInterval(3)) == .restart(after: .seconds(4)))
        #expect(policy.crashed(at: t.addingTimeInterval(7)) == .quarantine(crashes: 4))
    }

    /// Should forget crashes older than the window.
    @Test func forgetsOldCrashes() {
        var policy = RestartPolicy(maxRestarts: 2, window: .seconds(60))
        let t = Date(timeIntervalSince1970: 0)
        _ = policy.crashed(at: t)
        _ = policy.crashed(at: t.addingTimeInterval(10))
        #expect(policy.crashed(at: t.addingTimeInterval(100)) == .restart(after: .seconds(1)))
    }
}
