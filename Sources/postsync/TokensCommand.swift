import ArgumentParser

/// `postsync tokens`: the key that seals tokens at rest (CONTRACT section 13).
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Make a token key, or re-encrypt every stored token with a new one.",
        subcommands: [TokensGenerateKeyCommand.self, TokensRekeyCommand.self])
}
