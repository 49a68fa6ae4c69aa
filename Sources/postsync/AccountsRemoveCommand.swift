import ArgumentParser
import Foundation
import PostSync

/// `postsync accounts remove`: forgets an account and its tokens, and its posts unless kept.
struct AccountsRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Remove an account and its tokens (and its posts, unless --keep-posts).")

    @OptionGroup var client: ClientOptions

    @Argument(help: ArgumentHelp("The account: instagram:<id> or tiktok:<open_id>.", valueName: "account"))
    var account: String

    @Flag(name: .long, help: "Keep the account's posts and metric history in the database.")
    var keepPosts = false

    func run() async throws {
        let id = try ArgumentValues.account(account)
        let query: ControlClient.Query = keepPosts ? [("keepPosts", "true")] : []
        _ = try await client.withClient { try await $0.delete(ControlClient.accountPath(id), query: query) }
        Output.line("removed \(id) (\(keepPosts ? "posts kept" : "posts deleted"))")
    }
}
