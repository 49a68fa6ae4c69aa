import ArgumentParser
import Foundation
import PostSync

/// `postsync tokens rekey --new-key-file F`: through the daemon, re-seals every token with a new
/// key in one transaction; the daemon uses the new key from then on.
struct TokensRekeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Re-encrypt every stored token with a new key (through the running daemon).",
        discussion: """
            Reads the new key file (32 bytes, base64: `postsync tokens generate-key`) and sends the \
            key to the daemon over the control socket. The daemon re-encrypts every token in one \
            transaction (also plaintext ones, when it had no key) and uses the new key from then on. \
            Then point database.token_key_file at the new file: the old key no longer opens the \
            tokens, and the next start needs the new one.
            """)

    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("The new key file.", valueName: "file"))
    var newKeyFile: String

    @Flag(name: .long, help: "Print the control API's JSON answer as is.")
    var json = false

    func run() async throws {
        let text: String
        do {
            text = try String(contentsOfFile: newKeyFile, encoding: .utf8)
        } catch {
            throw UsageFailure(message: "--new-key-file: cannot read \(newKeyFile)")
        }
        let key: TokenKey
        do {
            key = try TokenKey(base64: text)
        } catch {
            throw UsageFailure(message: "--new-key-file: \(newKeyFile) \(error.description)")
        }
        struct Body: Encodable { var key: String }
        let request = try ControlClient.json(Body(key: text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let body = try await client.withClient { try await $0.post("/v1/tokens/rekey", json: request).body }
        if json { return Output.json(body) }
        let result = try Output.decode(TokenRekeyResult.self, from: body)
        Output.line("re-encrypted the tokens of \(result.reencrypted) account(s) with key \(key.id)")
        Output.line(result.message)
    }
}
