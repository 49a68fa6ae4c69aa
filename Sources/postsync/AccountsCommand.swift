import ArgumentParser

/// `postsync accounts`: list, add, re-token and remove accounts.
struct AccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List, add, re-token and remove accounts (`list` when no subcommand is given).",
        subcommands: [
            AccountsListCommand.self, AccountsAddCommand.self, AccountsSetTokenCommand.self, AccountsRemoveCommand.self,
        ],
        defaultSubcommand: AccountsListCommand.self)
}
