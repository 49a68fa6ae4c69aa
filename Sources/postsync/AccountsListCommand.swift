import ArgumentParser
import Foundation
import PostSync

/// `postsync accounts list`: the accounts table of `status`, without the daemon line.
struct AccountsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the accounts.")

    @OptionGroup var client: ClientOptions

    @Flag(name: .long, help: "Print the control API's JSON answer (GET /v1/accounts) as is.")
    var json = false

    func run() async throws {
        let body = try await client.withClient { try await $0.get("/v1/accounts").body }
        if json { return Output.json(body) }
        let accounts = try Output.decode([AccountView].self, from: body)
        if accounts.isEmpty {
            Output.line("no accounts; add one with `postsync accounts add instagram|tiktok …`")
            return
        }
        Output.line(StatusTable.table(accounts, now: Date(), style: Output.style))
    }
}
