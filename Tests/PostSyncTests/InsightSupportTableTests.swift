import Foundation
import Testing

@testable import PostSync

/// The insights memory (`InsightSupportTable`): what is not asked, and when it is asked again.
@Suite struct InsightSupportTableTests {
    static let all = ["views", "reach", "saved", "shares"]
    static let start = Date(timeIntervalSince1970: 1_790_000_000)

    /// Should leave out an unsupported metric for that kind of media only, ask it again after a
    /// week, and forget it once the platform answers it.
    @Test func recheckWeekly() {
        var table = InsightSupportTable()
        let shares = InsightMetricKey(mediaType: "IMAGE", productType: "", metric: "shares")
        let added = table.record(shares, supported: false, now: Self.start)
        #expect(added)
        #expect(table.metrics(Self.all, mediaType: "IMAGE", productType: "", now: Self.start) == ["views", "reach", "saved"])
        #expect(table.metrics(Self.all, mediaType: "VIDEO", productType: "", now: Self.start) == Self.all)
        #expect(table.metrics(Self.all, mediaType: "IMAGE", productType: "FEED", now: Self.start) == Self.all)
        let sixDays = Self.start.addingTimeInterval(6 * 86_400)
        #expect(table.metrics(Self.all, mediaType: "IMAGE", productType: "", now: sixDays).count == 3)
        let aWeek = Self.start.addingTimeInterval(7 * 86_400)
        #expect(table.metrics(Self.all, mediaType: "IMAGE", productType: "", now: aWeek) == Self.all, "asked again")
        let unchanged = table.record(
            InsightMetricKey(mediaType: "VIDEO", productType: "", metric: "views"), supported: true, now: aWeek)
        #expect(!unchanged, "a metric that always worked changes nothing (no write)")
        let removed = table.record(shares, supported: true, now: aWeek)
        #expect(removed, "Meta added it back")
        #expect(table.unsupported.isEmpty)
    }

    /// Should read Meta's code 100 as a metric that does not apply (never dead auth), and keep
    /// subcode 2108006 as data that does not exist.
    @Test func code100IsNeverDeadAuth() throws {
        let rejected = GraphError(message: "(#100) does not support the shares metric", code: 100, errorSubcode: nil)
        #expect(
            GraphErrorClassifier.classify(rejected, status: 400, retryAfter: nil, insights: true)
                == .metricUnsupported(GraphErrorClassifier.describe(rejected)))
        let old = GraphError(message: "posted before business conversion", code: 100, errorSubcode: 2_108_006)
        #expect(
            GraphErrorClassifier.classify(old, status: 400, retryAfter: nil, insights: true)
                == .unavailable(GraphErrorClassifier.describe(old)))
    }
}
