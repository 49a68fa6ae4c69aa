import ArgumentParser
import Foundation
import PostSync

/// `postsync sync ACCOUNT | --all`: syncs now instead of waiting for the schedule.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Sync one account, or every active account, now.",
        discussion: """
            Without --wait the sync is queued and the command returns at once. With --wait it prints the \
            run's SyncLog entry (or, with --all, a summary) and exits 1 when a run ended `error`.
            --all syncs the active accounts: auto-sync on and not needs_reauth or quarantined.
            """)

    /// How long `--wait` waits for the answer; a sync run has a deadline well below this.
    static let waitTimeout: Int64 = 600

    @OptionGroup var client: ClientOptions

    @Argument(help: ArgumentHelp("The account: instagram:<id> or tiktok:<open_id>.", valueName: "account"))
    var account: String?

    @Flag(name: .long, help: "Sync every active account.")
    var all = false

    @Flag(name: .long, help: "Wait for the run to finish and print its result.")
    var wait = false

    @Flag(name: .long, help: "Print the control API's JSON answer as is.")
    var json = false

    func validate() throws {
        switch (account, all) {
        case (nil, false): throw ValidationError("give an ACCOUNT or --all")
        case (.some, true): throw ValidationError("give an ACCOUNT or --all, not both")
        default: break
        }
    }

    func run() async throws {
        let query: ControlClient.Query = wait ? [("wait", "true")] : []
        let timeout = wait ? Self.waitTimeout : ControlClient.defaultTimeout
        if let account {
            let id = try ArgumentValues.account(account)
            let body = try await client.withClient {
                try await $0.post(ControlClient.accountPath(id, "/sync"), query: query, timeout: timeout).body
            }
            guard wait else { return json ? Output.json(body) : Output.line("sync queued for \(id)") }
            let entry = try Output.decode(SyncLogEntry.self, from: body)
            if json { Output.json(body) } else { Output.line(LogLine.render(entry, style: Output.style)) }
            if entry.status == .error { throw ExitCode(1) }
        } else {
            let body = try await client.withClient { try await $0.post("/v1/sync", query: query, timeout: timeout).body }
            guard wait else { return json ? Output.json(body) : Output.line(Self.queuedAll(body)) }
            let summary = try Output.decode(SyncAllSummary.self, from: body)
            if json {
                Output.json(body)
            } else {
                Output.line(LogLine.summary(summary))
                for failure in summary.errors {
                    printError("\(failure.accountId): \(TerminalStyle.sanitized(failure.message))")
                }
            }
            if summary.failed > 0 { throw ExitCode(1) }
        }
    }

    /// `sync queued for 4 accounts` when the answer counts them, else for "every active account".
    static func queuedAll(_ body: Data) -> String {
        struct Answer: Decodable {
            var count: Int?
            enum CodingKeys: String, CodingKey { case queued, total }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                count = (try? c.decode(Int.self, forKey: .queued)) ?? (try? c.decode(Int.self, forKey: .total))
            }
        }
        guard let count = (try? JSONCoding.decoder().decode(Answer.self, from: body))?.count else {
            return "sync queued for every active account"
        }
        return "sync queued for \(count) \(count == 1 ? "account" : "accounts")"
    }
}
