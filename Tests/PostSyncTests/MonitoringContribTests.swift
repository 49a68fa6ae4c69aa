import Foundation
import Testing

@testable import PostSync

/// `contrib/grafana/postsync.json` and `contrib/prometheus/alerts.yml` against what the daemon
/// really exports: every metric an expression names must be a series `DaemonMetrics` renders
/// (or Prometheus' own `up`), and the dashboard must have its panels and datasource input.
@Suite struct MonitoringContribTests {
    /// The repository root (this file is Tests/PostSyncTests/MonitoringContribTests.swift).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Series Prometheus makes itself for every scrape target.
    static let prometheusSeries: Set<String> = ["up"]

    /// The panel titles the dashboard must have (issue 17's list and the overview).
    static let expectedPanels: Set<String> = [
        "Sync rate by status and platform", "Sync duration", "Schedule lateness", "Accounts by state", "API calls",
        "Rate-limit hits", "Webhook deliveries by result", "Token refreshes",
    ]

    /// The alerts the rules file must define.
    static let expectedAlerts: Set<String> = [
        "PostsyncDown", "PostsyncAccountsNeedReauth", "PostsyncAccountsQuarantined", "PostsyncAccountNoRecentSuccess",
        "PostsyncNoSuccessfulSyncs", "PostsyncRateLimitHitsClimbing", "PostsyncDatabaseUnavailable",
    ]

    /// The sample names `/metrics` renders after one of each kind of event has been recorded.
    static func exportedNames() throws -> Set<String> {
        let metrics = DaemonMetrics()
        let now = Date(timeIntervalSince1970: 1_764_380_000)
        for (status, message) in [(SyncStatus.success, nil), (.partial, "insights unavailable"), (.error, "rate limited")] {
            metrics.record(
                SyncLogEntry(
                    accountId: "instagram:1784140000000001", platform: .instagram, trigger: .schedule, postsFound: 3,
                    postsSynced: 2, status: status, errorMessage: message, duration: 120, createdAt: now, startedAt: now,
                    apiCalls: 2, tokenRefreshed: true, attempt: 1))
        }
        metrics.lateness(0.25)
        metrics.webhook(.tiktok, result: "accepted")
        metrics.accounts(byState: [.idle: 1, .needsReauth: 1])
        metrics.database(available: true)
        metrics.refreshTokensExpiring(1)
        let names = Set(try PrometheusText.parse(metrics.render()).samples.map(\.name))
        return names.union(prometheusSeries)
    }

    /// Should name only exported series in every dashboard expression, and have the panels, the
    /// `${DS_PROMETHEUS}` input and schema version 39.
    @Test func dashboardNamesOnlyExportedMetrics() throws {
        let data = try Data(contentsOf: Self.root.appending(path: "contrib/grafana/postsync.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(dashboard["schemaVersion"] as? Int == 39)
        let inputs = dashboard["__inputs"] as? [[String: Any]] ?? []
        #expect(inputs.contains { $0["name"] as? String == "DS_PROMETHEUS" && $0["pluginId"] as? String == "prometheus" })

        let panels = (dashboard["panels"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "row" }
        let titles = Set(panels.compactMap { $0["title"] as? String })
        #expect(Self.expectedPanels.isSubset(of: titles), "missing: \(Self.expectedPanels.subtracting(titles))")
        #expect(Set(panels.compactMap { $0["id"] as? Int }).count == panels.count, "panel ids are unique")

        let exported = try Self.exportedNames()
        var used: Set<String> = []
        for panel in panels {
            let title = panel["title"] as? String ?? "?"
            let datasource = panel["datasource"] as? [String: Any]
            #expect(datasource?["uid"] as? String == "${DS_PROMETHEUS}", "\(title)")
            let targets = panel["targets"] as? [[String: Any]] ?? []
            #expect(!targets.isEmpty, "\(title) has no query")
            for expression in targets.compactMap({ $0["expr"] as? String }) {
                let names = PromQLNames.metrics(in: expression)
                #expect(!names.isEmpty, "\(title): \(expression)")
                #expect(names.isSubset(of: exported), "\(title): \(names.subtracting(exported)) not exported")
                used.formUnion(names)
            }
        }
        for family in [
            "postsync_syncs_total", "postsync_sync_duration_seconds_bucket", "postsync_schedule_lateness_seconds_bucket",
        ] {
            #expect(used.contains(family), "the dashboard shows \(family)")
        }
    }

    /// Should define every alert, and name only exported series in every expression.
    @Test func alertsNameOnlyExportedMetrics() throws {
        let text = try String(contentsOf: Self.root.appending(path: "contrib/prometheus/alerts.yml"), encoding: .utf8)
        let rules = AlertRules.parse(text)
        #expect(Set(rules.map(\.name)) == Self.expectedAlerts)
        let exported = try Self.exportedNames()
        for rule in rules {
            let names = PromQLNames.metrics(in: rule.expression)
            #expect(!names.isEmpty, "\(rule.name): \(rule.expression)")
            #expect(names.isSubset(of: exported), "\(rule.name): \(names.subtracting(exported)) not exported")
        }
    }

    /// Should find metric names and skip functions, aggregations, grouping labels, label
    /// matchers, strings, durations and Grafana variables.
    @Test func promQLNamesSkipsWhatIsNotAMetric() {
        let expression = """
            histogram_quantile(0.99, sum by (le, platform) (rate(a_bucket{instance=~"$instance", x="b_c"}[$__rate_interval])))
            / on (job) group_left (state) max without (y) (b offset 5m) and time() - c > bool 3 or vector(0)
            """
        #expect(PromQLNames.metrics(in: expression) == ["a_bucket", "b", "c"])
        #expect(PromQLNames.metrics(in: #"up{job="postsync"} == 0"#) == ["up"])
    }
}

extension MonitoringContribTests {
    /// The metric names a PromQL expression selects (enough PromQL for the contrib files).
    enum PromQLNames {
        /// Words that are operators or modifiers, never metrics.
        static let keywords: Set<String> = [
            "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
        ]
        /// Modifiers followed by a parenthesized label list.
        static let groupings: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]

        /// The names selected by `expression`.
        static func metrics(in expression: String) -> Set<String> {
            let characters = Array(expression)
            var names: Set<String> = []
            var index = 0
            var afterGrouping = false
            func isNameStart(_ c: Character) -> Bool { c.isLetter || c == "_" || c == ":" }
            func isName(_ c: Character) -> Bool { isNameStart(c) || c.isNumber }
            func skip(to closing: Character) {
                while index < characters.count, characters[index] != closing {
                    if characters[index] == "\"" { skipString() } else { index += 1 }
                }
                index += 1
            }
            func skipString() {
                index += 1
                while index < characters.count, characters[index] != "\"" {
                    index += characters[index] == "\\" ? 2 : 1
                }
                index += 1
            }
            while index < characters.count {
                let c = characters[index]
                if c == "\"" {
                    skipString()
                } else if c == "{" {
                    skip(to: "}")
                } else if c == "[" {
                    skip(to: "]")
                } else if c == "(" && afterGrouping {
                    skip(to: ")")
                    afterGrouping = false
                } else if c == "$" || c.isNumber || c == "." {
                    // Grafana variables, numbers and durations (5m) are one word.
                    index += 1
                    while index < characters.count, isName(characters[index]) || characters[index] == "." { index += 1 }
                } else if isNameStart(c) {
                    let start = index
                    while index < characters.count, isName(characters[index]) { index += 1 }
                    let word = String(characters[start..<index])
                    var next = index
                    while next < characters.count, characters[next] == " " || characters[next] == "\n" { next += 1 }
                    let followedByCall = next < characters.count && characters[next] == "("
                    if groupings.contains(word) {
                        afterGrouping = true
                    } else if !keywords.contains(word) && !followedByCall && !isAggregation(word) {
                        names.insert(word)
                    }
                } else {
                    index += 1
                }
            }
            return names
        }

        /// Aggregations may be followed by `by (...)` before their parenthesis.
        static func isAggregation(_ word: String) -> Bool {
            [
                "sum", "min", "max", "avg", "count", "group", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values",
            ].contains(word)
        }
    }

    /// The `alert:` and `expr:` pairs of a Prometheus rules file (single-line or `|` block exprs).
    enum AlertRules {
        /// One alerting rule.
        struct Rule {
            /// The `alert:` name.
            var name: String
            /// The `expr:` text.
            var expression: String
        }

        /// The rules of a rules file, in order.
        static func parse(_ text: String) -> [Rule] {
            var rules: [Rule] = []
            var name: String?
            var block: (indent: Int, lines: [String])?
            func finishBlock() {
                if let current = block, let alert = name {
                    rules.append(Rule(name: alert, expression: current.lines.joined(separator: "\n")))
                    name = nil
                }
                block = nil
            }
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                let indent = line.prefix { $0 == " " }.count
                let content = line.trimmingCharacters(in: .whitespaces)
                if let current = block {
                    if content.isEmpty || indent > current.indent {
                        block?.lines.append(content)
                        continue
                    }
                    finishBlock()
                }
                if content.hasPrefix("- alert:") {
                    name = content.dropFirst("- alert:".count).trimmingCharacters(in: .whitespaces)
                } else if content.hasPrefix("expr:") {
                    let value = content.dropFirst("expr:".count).trimmingCharacters(in: .whitespaces)
                    if value == "|" || value == "|-" || value == ">-" {
                        block = (indent, [])
                    } else if let alert = name {
                        rules.append(Rule(name: alert, expression: value))
                        name = nil
                    }
                }
            }
            finishBlock()
            return rules
        }
    }
}
