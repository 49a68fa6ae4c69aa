import ArgumentParser
import Foundation
import PostSync

/// `postsync logs`: the SyncLog, from the daemon, or straight from the files when it is down.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the SyncLog (one line per sync run), optionally following it like `tail -f`.",
        discussion: """
            Without -n every matching entry is printed; -n N prints the last N, oldest first; -f prints the \
            last 10 (or -n N) and then follows. When the daemon is not reachable the SyncLog files in the \
            state directory (synclog.jsonl*) are read directly, and followed across rotations with -f.
            --json prints each entry's JSON line as the daemon or the file holds it.
            """)

    /// Entries printed before following when `-n` is not given.
    static let followBacklog = 10
    /// How often the files are checked when following them.
    static let pollInterval: Duration = .milliseconds(500)

    @OptionGroup var client: ClientOptions

    @Flag(name: [.short, .long], help: "Keep printing new entries as they are written.")
    var follow = false

    @Option(name: .long, help: ArgumentHelp("Only this account's runs.", valueName: "account"))
    var account: String?

    @Option(name: .long, help: ArgumentHelp("Only this platform's runs: instagram or tiktok.", valueName: "platform"))
    var platform: String?

    @Option(name: .long, help: ArgumentHelp("Only runs that ended so: success, partial or error.", valueName: "status"))
    var status: String?

    @Option(
        name: .long, help: ArgumentHelp("Only runs since then: RFC 3339, or a duration ago (30m, 2h, 7d).", valueName: "time"))
    var since: String?

    @Option(name: .customShort("n"), help: ArgumentHelp("Print the last N matching entries.", valueName: "N"))
    var lines: Int?

    @Flag(name: .long, help: "Print the JSON lines as they are (for jq).")
    var json = false

    func validate() throws {
        if let platform, Platform(rawValue: platform) == nil {
            throw ValidationError("--platform: \"\(platform)\" is not instagram or tiktok")
        }
        if let status, SyncStatus(rawValue: status) == nil {
            throw ValidationError("--status: \"\(status)\" is not success, partial or error")
        }
        if let lines, lines < 0 { throw ValidationError("-n: must not be negative") }
    }

    func run() async throws {
        let filter = SyncLogFilter(
            account: try ArgumentValues.account(account, flag: "--account"), platform: platform.flatMap(Platform.init(rawValue:)),
            status: status.flatMap(SyncStatus.init(rawValue:)), since: try ArgumentValues.since(since))
        let printer = LogPrinter(json: json, buffered: !follow, style: Output.style)
        defer { printer.flush() }
        let limit = lines ?? (follow ? Self.followBacklog : nil)
        if limit == 0, !follow { return }
        var lastSeq: Int64?
        do {
            try await client.withClient { control in
                try await streamFromDaemon(control, filter: filter, limit: limit, printer: printer, lastSeq: &lastSeq)
            }
            guard follow else { return }
            printError("postsync: the daemon ended the log stream; following the SyncLog files instead")
        } catch let error as DaemonUnreachable {
            let directory = try client.stateDirectory()
            // No state directory here at all: the files are elsewhere, so this is just "unreachable".
            guard FileManager.default.fileExists(atPath: directory) else { throw error }
            printError("postsync: \(error.summary)\npostsync: reading the SyncLog files in \(directory) directly")
            var follower = SyncLogFollower(directory: directory)
            let records = try readFiles { try follower.poll() }.filter { filter.matches($0.entry) }
            for record in limit.map({ records.suffix($0) }) ?? records[...] {
                printer.print(record.entry, line: record.line)
            }
            printer.flush()
            if follow { try await followFiles(&follower, filter: filter, printer: printer) }
            return
        } catch let error as StreamInterrupted where follow {
            printError("postsync: \(error); following the SyncLog files instead")
        }
        // The daemon went away while following: the files hold everything it wrote.
        let directory = try client.stateDirectory()
        guard FileManager.default.fileExists(atPath: directory) else {
            throw OperationFailure(
                message:
                    "the daemon ended the log stream, and there is no state directory \(directory) to follow the SyncLog files in"
            )
        }
        var follower = SyncLogFollower(directory: directory, afterSeq: lastSeq)
        try await followFiles(&follower, filter: filter, printer: printer)
    }

    /// `GET /v1/logs` with the filters: the last `limit` matching entries, then (with `-f`) new
    /// ones as they are written. A follower that fell too far behind gets an `overflow` error line
    /// from the daemon and resumes with `afterSeq`. `lastSeq` is the last entry received.
    private func streamFromDaemon(
        _ control: ControlClient, filter: SyncLogFilter, limit: Int?, printer: LogPrinter, lastSeq: inout Int64?
    ) async throws {
        let decoder = JSONCoding.decoder()
        let filters: ControlClient.Query = [
            ("account", filter.account), ("platform", filter.platform?.rawValue), ("status", filter.status?.rawValue),
        ]
        var query = filters
        if limit == 0 {
            // `-n 0 -f`: the API's limit is at least 1, so start after the newest entry instead.
            lastSeq = try await newestSeq(control, decoder: decoder)
            query.append(("afterSeq", lastSeq.map { String($0) }))
        } else {
            query.append(("limit", limit.map { String($0) }))
        }
        query.append(("follow", follow ? "true" : nil))
        while true {
            var overflowed = false
            try await control.streamLines("/v1/logs", query: query) { line in
                if let entry = try? decoder.decode(SyncLogEntry.self, from: line) {
                    // Never print an entry twice, whatever a resumed stream repeats.
                    if let last = lastSeq, entry.seq <= last { return }
                    lastSeq = entry.seq
                    // `since` is not a parameter of the API; the daemon applies the other filters.
                    if filter.matches(entry) { printer.print(entry, line: line) }
                } else if let error = try? decoder.decode(ErrorLine.self, from: line).error {
                    guard error.code == "overflow" else { throw error }
                    overflowed = true
                }
                // Anything else is a cut-off last line, not a record.
            }
            guard overflowed else { return }
            query = filters + [("afterSeq", lastSeq.map { String($0) }), ("follow", "true")]
        }
    }

    /// The seq of the newest SyncLog entry, nil when the log is empty.
    private func newestSeq(_ control: ControlClient, decoder: JSONDecoder) async throws -> Int64? {
        var newest: Int64?
        try await control.streamLines("/v1/logs", query: [("limit", "1")]) { line in
            if let entry = try? decoder.decode(SyncLogEntry.self, from: line) { newest = entry.seq }
        }
        return newest
    }

    /// Prints matching records as they are appended to the files, until interrupted.
    private func followFiles(_ follower: inout SyncLogFollower, filter: SyncLogFilter, printer: LogPrinter) async throws {
        while true {
            for record in try readFiles({ try follower.poll() }) where filter.matches(record.entry) {
                printer.print(record.entry, line: record.line)
            }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    /// Runs a read of the SyncLog files, turning a failure into an `OperationFailure` that says
    /// where (typically: the state directory belongs to the daemon's user).
    private func readFiles(_ read: () throws -> [SyncLogFollower.Record]) throws -> [SyncLogFollower.Record] {
        do {
            return try read()
        } catch {
            throw OperationFailure(message: "cannot read the SyncLog files: \(error)")
        }
    }

    /// An error line inside the NDJSON answer: `{"error":{"code","message"}}`.
    private struct ErrorLine: Decodable {
        var error: ControlError
    }
}
