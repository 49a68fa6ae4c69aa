import Foundation
import Testing

@testable import PostSync

/// The adaptive schedule (CONTRACT section 12) as pure decisions under a manual clock: what the
/// rhythm learns, what the planner chooses, and what the budget allows.
@Suite struct AdaptiveScheduleTests {
    /// Monday 2026-11-30 00:00 UTC.
    let monday = Date(timeIntervalSince1970: 1_795_996_800)
    let limits = ScheduleMode.AdaptiveLimits(minInterval: .seconds(60), maxInterval: .seconds(3_600), budget: 0.8)
    var settings: AccountStateMachine.Settings {
        AccountStateMachine.Settings(
            interval: .seconds(900), jitter: 0.1, backoff: Backoff(min: .seconds(30), max: .seconds(1800)),
            mode: .adaptive(limits))
    }
    var prices: SchedulePrices { .standalone(interval: .seconds(900), limits: limits) }

    func at(day: Int, hour: Double) -> Date { monday.addingTimeInterval(Double(day) * 86_400 + hour * 3_600) }

    func machine(_ change: (inout AccountRecord) -> Void = { _ in }) -> AccountStateMachine {
        var record = AccountRecord(id: AccountID(platform: .tiktok, externalID: "1"), accessToken: "t", createdAt: monday)
        change(&record)
        return AccountStateMachine(settings: settings, record: record, now: monday)
    }

    /// A rhythm that has watched an account posting at `hours` of every day for `weeks` weeks
    /// before `now`, as the first sync's history would show it.
    func rhythm(postingAt hours: [Double], weeks: Int, before now: Date) -> PostingRhythm {
        var rhythm = PostingRhythm()
        var posts: [Date] = []
        for day in 1...(weeks * 7) {
            for hour in hours {
                let day = Calendar.utc.startOfDay(for: now.addingTimeInterval(-Double(day) * 86_400))
                posts.append(day.addingTimeInterval(hour * 3_600))
            }
        }
        rhythm.observe(SyncObservation(publications: posts), now: now)
        return rhythm
    }

    func interval(_ rhythm: PostingRhythm, at now: Date, prices: SchedulePrices? = nil, jitter: Double = 0) -> TimeInterval {
        var random = SplitMix64(seed: 3)
        return AdaptivePlanner.interval(rhythm: rhythm, now: now, prices: prices ?? self.prices, jitter: jitter, random: &random)
    }

    /// Should plan a new account (nothing learned) at `interval`: the prior is what a fixed
    /// schedule assumes.
    @Test func newAccountGetsTheInterval() {
        var random = SplitMix64(seed: 1)
        var machine = machine()
        let now = at(day: 0, hour: 10)
        _ = machine.handle(.runStarted(token: .use), random: &random)
        _ = machine.handle(.runFinished(.succeeded, now: now, prices: prices), random: &random)
        let planned = machine.nextSyncAt!.timeIntervalSince(now)
        #expect((810...990).contains(planned), "planned \(planned)")
        #expect(machine.rhythm.postsPerDay == 1)
    }

    /// Should learn an evening habit: shortly before and during the evening the account is
    /// synced much more often than at 4 a.m., when it is left for `max_interval`.
    @Test func eveningPoster() {
        let now = at(day: 28, hour: 0)
        let evening = rhythm(postingAt: [19.25], weeks: 4, before: now)
        #expect((0.9...1.1).contains(evening.postsPerDay))
        let atEvening = interval(evening, at: at(day: 28, hour: 19))
        let atNight = interval(evening, at: at(day: 28, hour: 4))
        #expect(atEvening < 600, "evening \(atEvening)")
        #expect(atNight > 3 * atEvening && atNight > 1_200, "evening \(atEvening), night \(atNight)")
        // Just before the habit, the sync is pulled into it rather than planned past it.
        let before = at(day: 28, hour: 18.5)
        #expect(before.addingTimeInterval(interval(evening, at: before)) < at(day: 28, hour: 19.6))
    }

    /// Should forget an account that stopped posting: its rate decays and its old peak hour is
    /// no longer worth more than the guarantee.
    @Test func stoppedPosting() {
        let start = at(day: 28, hour: 0)
        var busy = rhythm(postingAt: [9, 12, 15, 18, 21], weeks: 4, before: start)
        #expect(busy.postsPerDay > 4.5)
        let peakWhenBusy = interval(busy, at: at(day: 28, hour: 18))
        var now = start
        for _ in 0..<(10 * 7 * 24) {
            now = now.addingTimeInterval(3_600)
            busy.observe(.none, now: now)
        }
        #expect(busy.postsPerDay < 0.5, "\(busy.postsPerDay)")
        let peakNow = interval(busy, at: now.addingTimeInterval(18 * 3_600))
        #expect(peakNow > 3 * peakWhenBusy, "busy \(peakWhenBusy), silent \(peakNow)")
    }

    /// Should sync sooner after a fresh post (posts come in bursts and young metrics move), and
    /// the effect should fade.
    @Test func burstAfterAFreshPost() {
        let now = at(day: 28, hour: 10)
        let calm = rhythm(postingAt: [19], weeks: 4, before: now)
        var excited = calm
        excited.observe(SyncObservation(publications: [now.addingTimeInterval(-120)]), now: now)
        let calmInterval = interval(calm, at: now)
        let excitedInterval = interval(excited, at: now)
        #expect(excitedInterval < 0.6 * calmInterval, "calm \(calmInterval), excited \(excitedInterval)")
        // Once the post is no longer young (48 h), only its count in the habit is left.
        let later = now.addingTimeInterval(50 * 3_600)
        #expect(interval(excited, at: later) > 0.9 * interval(calm, at: later))
    }

    /// Should take a webhook as a hint: the sync it triggers happens at once (as before), and the
    /// next one comes sooner than without the hint.
    @Test func webhookHint() {
        var random = SplitMix64(seed: 9)
        let now = at(day: 2, hour: 10)
        var hinted = machine()
        var plain = machine()
        #expect(hinted.handle(.wake(now: now, triggers: [.webhook]), random: &random) == .sync(.webhook))
        for index in 0..<2 {
            var copy = SplitMix64(seed: 4)
            var m = index == 0 ? hinted : plain
            _ = m.handle(.runStarted(token: .use), random: &copy)
            _ = m.handle(.runFinished(.succeeded, now: now, prices: prices), random: &copy)
            if index == 0 { hinted = m } else { plain = m }
        }
        #expect(hinted.nextSyncAt! < plain.nextSyncAt!.addingTimeInterval(-120))
    }

    /// Should honour `max_interval` for an account that never posts and `min_interval` for one
    /// that posts all the time, over a simulated day of runs.
    @Test func limitsHoldOverADay() {
        for postsPerHour in [0.0, 30.0] {
            var random = SplitMix64(seed: 5)
            var machine = machine()
            var now = at(day: 0, hour: 0)
            var last: Date?
            var gaps: [TimeInterval] = []
            while now < at(day: 1, hour: 0) {
                guard case .sync = machine.handle(.wake(now: now, triggers: []), random: &random) else {
                    now = machine.nextSyncAt!
                    continue
                }
                let published = last.map { from in
                    stride(from: from.timeIntervalSince1970, to: now.timeIntervalSince1970, by: 3_600 / max(postsPerHour, 1))
                        .map { Date(timeIntervalSince1970: $0 + 1) }
                }
                _ = machine.handle(.runStarted(token: .use), random: &random)
                let observation = SyncObservation(publications: postsPerHour > 0 ? published ?? [] : [])
                _ = machine.handle(.runFinished(.succeeded, now: now, observation: observation, prices: prices), random: &random)
                if let last { gaps.append(now.timeIntervalSince(last)) }
                last = now
            }
            #expect(gaps.allSatisfy { $0 <= 3_600 && $0 >= 60 }, "\(postsPerHour)/h: \(gaps.min() ?? 0)…\(gaps.max() ?? 0)")
            // Planned alone (no budget), a silent account drifts away from the prior's interval.
            if postsPerHour == 0 { #expect(gaps.last! > 1.3 * gaps.first!, "\(gaps.first!) -> \(gaps.last!)") }
            if postsPerHour > 0 { #expect(gaps.suffix(10).allSatisfy { $0 < 200 }) }
        }
    }

    /// Should spread accounts with the same rhythm that synced at the same second.
    @Test func jitterSpreadsTwins() {
        let now = at(day: 28, hour: 12)
        let twin = rhythm(postingAt: [12.5], weeks: 4, before: now)
        var random = SplitMix64(seed: 11)
        let next = (0..<100).map { _ in
            Int(AdaptivePlanner.interval(rhythm: twin, now: now, prices: prices, jitter: 0.1, random: &random))
        }
        // Spread over the jitter's ± 10 %, no second holding more than a few of them.
        let mean = Double(next.reduce(0, +)) / Double(next.count)
        #expect(Double(next.max()! - next.min()!) >= 0.15 * mean, "\(next.min()!)…\(next.max()!)")
        #expect(Dictionary(grouping: next) { $0 }.values.map(\.count).max()! <= 8)
    }

    /// Should keep what it learned through the stored text, and start from the prior when the
    /// text is not one it knows.
    @Test func rhythmTextRoundTrip() throws {
        let now = at(day: 28, hour: 20)
        var learned = rhythm(postingAt: [8, 19.5], weeks: 3, before: now)
        learned.observe(SyncObservation(publications: [now.addingTimeInterval(-600)], changedPosts: 2), now: now)
        learned.hint(now: now)
        let restored = try #require(PostingRhythm(text: learned.text))
        #expect(restored.counts == learned.counts)
        #expect(restored.postsPerDay == learned.postsPerDay)
        #expect(abs(interval(restored, at: now) - interval(learned, at: now)) < 1)
        #expect(PostingRhythm(text: PostingRhythm().text) == PostingRhythm())
        for bad in ["", "r2 0 - - 0 - 1 - -", "r1 x - - 0 - 1 - -", "r1 0 - - 0 - 1 - 999:1", "r1 0 - - 0 - 7 - -"] {
            #expect(PostingRhythm(text: bad) == nil, "\(bad)")
        }
    }

    /// Should spend exactly `interval`'s worth of calls when the budget allows it, more of them
    /// on busy accounts and hours.
    @Test func pricesSpendTheIntervalsCalls() {
        let now = at(day: 28, hour: 0)
        var budget = ScheduleBudget()
        var rhythms: [PostingRhythm] = []
        for index in 0..<300 {
            let hours: [Double] = index % 10 == 0 ? [8, 12, 16, 20] : index % 3 == 0 ? [] : [Double(index % 24)]
            let r = hours.isEmpty ? PostingRhythm() : rhythm(postingAt: hours, weeks: 3, before: now)
            rhythms.append(r)
            budget.update(AccountID(platform: .instagram, externalID: "\(index)"), rhythm: r, now: now)
        }
        let prices = budget.prices(interval: .seconds(900), limits: limits, callsPerMinute: nil)
        let weekly = rhythms.reduce(0.0) { sum, r in
            let rates = r.weeklyRates()
            return sum + (0..<168).reduce(0.0) { $0 + prices.syncsPerHour(rate: rates[$1], hour: $1) }
        }
        let fixed = 300.0 * 4 * 168
        #expect(abs(weekly / fixed - 1) < 0.03, "adaptive \(weekly) vs fixed \(fixed)")
        let busy = interval(rhythms[10], at: at(day: 28, hour: 12), prices: prices)
        let quiet = interval(rhythms[3], at: at(day: 28, hour: 12), prices: prices)
        #expect(busy < quiet)
    }

    /// Should degrade when the platform's limit cannot give every account `interval`: every hour
    /// stays under limit × budget, the quiet accounts give way first, and the ratio says so.
    @Test func budgetRunsShort() {
        let now = at(day: 28, hour: 0)
        var budget = ScheduleBudget()
        let busy = rhythm(postingAt: [10, 14, 18], weeks: 3, before: now)
        let quiet = PostingRhythm()
        for index in 0..<2_000 {
            let r = index < 200 ? busy : quiet
            budget.update(AccountID(platform: .tiktok, externalID: "\(index)"), rhythm: r, now: now)
        }
        // 10 calls a minute × 0.8 = 480 an hour, against 8,000 an hour for a 15-minute interval.
        let prices = budget.prices(interval: .seconds(900), limits: limits, callsPerMinute: 10)
        #expect(abs(prices.budgetRatio - 480.0 / 8_000) < 1e-9)
        #expect(prices.cap > 3_600, "max_interval cannot hold for 2,000 accounts at 480 calls an hour")
        for hour in 0..<168 {
            let calls =
                200 * prices.syncsPerHour(rate: busy.weeklyRates()[hour], hour: hour) + 1_800
                * prices.syncsPerHour(rate: quiet.weeklyRates()[hour], hour: hour)
            #expect(calls <= 480 * 1.02, "hour \(hour): \(calls)")
        }
        let afternoon = at(day: 28, hour: 14)
        #expect(interval(busy, at: afternoon, prices: prices) < interval(quiet, at: afternoon, prices: prices) / 2)
    }

    /// Should leave a fixed schedule exactly as it was: interval ± jitter, whatever was learned.
    @Test func fixedIgnoresTheRhythm() {
        var random = SplitMix64(seed: 2)
        var fixed = settings
        fixed.mode = .fixed
        let now = at(day: 28, hour: 19)
        let learned = rhythm(postingAt: [19], weeks: 4, before: now)
        var machine = AccountStateMachine(
            settings: fixed,
            record: AccountRecord(
                id: AccountID(platform: .tiktok, externalID: "1"), accessToken: "t", createdAt: monday, rhythm: learned),
            now: now)
        _ = machine.handle(.runStarted(token: .use), random: &random)
        _ = machine.handle(.runFinished(.succeeded, now: now, prices: prices), random: &random)
        #expect((810...990).contains(machine.nextSyncAt!.timeIntervalSince(now)))
        #expect(machine.plannedInterval == 900)
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC.
    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }
}

/// The board's correction of its prices by what the syncs cost (`ScheduleSpend`), and hostile
/// stored text.
@Suite struct ScheduleSpendTests {
    let monday = Date(timeIntervalSince1970: 1_795_996_800)

    /// Should raise the prices while more syncs happen than the prices expected, lower them
    /// while fewer do, and ignore hours without any sync (an outage).
    @Test func correctsTowardsTheExpectedCalls() {
        let expected = [Double](repeating: 100, count: 168)
        var spend = ScheduleSpend()
        for hour in 0..<12 {
            for minute in 0..<150 {
                spend.record(at: monday.addingTimeInterval(Double(hour) * 3_600 + Double(minute) * 20), expectedCalls: expected)
            }
        }
        let raised = spend.factor
        #expect(raised > 1.2, "150 calls an hour against 100 expected: \(raised)")
        // Six silent hours (the database was down) change nothing.
        spend.roll(to: monday.addingTimeInterval(18 * 3_600), expectedCalls: expected)
        #expect(spend.factor == raised)
        for hour in 18..<40 {
            for minute in 0..<50 {
                spend.record(at: monday.addingTimeInterval(Double(hour) * 3_600 + Double(minute) * 60), expectedCalls: expected)
            }
        }
        #expect(spend.factor < raised, "50 calls an hour against 100: \(spend.factor)")
    }

    /// Should never scale a price below the floor that keeps an hour under the platform's limit.
    @Test func correctionKeepsTheLimit() {
        let prices = SchedulePrices(
            hourly: [Double](repeating: 2, count: 168), cap: 3_600, minimum: 60,
            floors: [Double](repeating: 2, count: 168))
        #expect(prices.scaled(by: 0.25).hourly.allSatisfy { $0 == 2 })
        #expect(prices.scaled(by: 2).hourly.allSatisfy { $0 == 4 })
    }

    /// Should refuse stored text whose numbers could not be written back (NaN, infinities,
    /// instants millions of years away) and keep at most the newest young posts.
    @Test func hostileText() throws {
        for bad in [
            "r1 0 - - 0 - 1 nan -", "r1 0 - - 0 - 1 inf -", "r1 0 1e300 - 0 - 1 - -", "r1 nan - - 0 - 1 - -",
            "r1 0 - -1e20 0 - 1 - -", "r1 0 - - 0 9e99 1 - -",
        ] {
            #expect(PostingRhythm(text: bad) == nil, "\(bad)")
        }
        let many = (0..<50).map { String(1_795_000_000 + $0) }.joined(separator: ",")
        let rhythm = try #require(PostingRhythm(text: "r1 0 - - 0 - 1 \(many) -"))
        #expect(rhythm.young.count == PostingRhythm.maxYoung)
        #expect(rhythm.young.last == Date(timeIntervalSince1970: 1_795_000_049))
        #expect(PostingRhythm(text: rhythm.text) == rhythm)
    }
}

extension ScheduleSpendTests {
    /// Should take syncs before any prices are known (no expected calls yet), hour after hour,
    /// without failing, and start comparing once they are.
    @Test func syncsBeforePricesAreKnown() {
        var spend = ScheduleSpend()
        for hour in 0..<30 { spend.record(at: monday.addingTimeInterval(Double(hour) * 1_800), expectedCalls: []) }
        #expect(spend.factor == 1)
        let expected = [Double](repeating: 1, count: 168)
        for hour in 15..<40 {
            for minute in 0..<3 {
                spend.record(at: monday.addingTimeInterval(Double(hour) * 3_600 + Double(minute) * 60), expectedCalls: expected)
            }
        }
        #expect(spend.factor > 1)
    }
}
