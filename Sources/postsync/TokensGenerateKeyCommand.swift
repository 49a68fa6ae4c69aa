import ArgumentParser
import PostSync

/// `postsync tokens generate-key`: prints a fresh key for `database.token_key_file`.
struct TokensGenerateKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-key",
        abstract: "Print a new random token key (32 bytes, base64) for database.token_key_file.",
        discussion: """
            The same as `openssl rand -base64 32`, from the system's secure random generator. Write \
            it to a file only root can read, e.g. \
            `postsync tokens generate-key | install -m 0400 /dev/stdin /etc/postsync/token-key`, \
            and hand it to the service as a systemd credential (LoadCredential=).
            """)

    func run() throws {
        Output.line(TokenKey.generate())
    }
}
