import ArgumentParser
import Foundation
import PostSync

/// `postsync accounts add`: one subcommand per platform, since their credentials differ.
struct AccountsAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add an account; tokens are read from files or standard input, never from arguments.",
        subcommands: [AccountsAddInstagramCommand.self, AccountsAddTikTokCommand.self])

    /// Sends `POST /v1/accounts` and prints `added instagram:ID (auto-sync on)` (or the JSON answer).
    static func add(_ account: NewAccount, client: ClientOptions, json: Bool) async throws {
        let request = try ControlClient.json(account)
        let body = try await client.withClient { try await $0.post("/v1/accounts", json: request).body }
        if json { return Output.json(body) }
        let view = try Output.decode(AccountView.self, from: body)
        let name = view.username.map { " @\(TerminalStyle.sanitized($0))" } ?? ""
        Output.line("added \(view.id)\(name) (auto-sync \(view.autoSync ? "on" : "off"))")
    }
}
