import ArgumentParser
import Foundation
import PostSync

/// `postsync accounts add tiktok`: a TikTok account with its access and refresh tokens.
struct AccountsAddTikTokCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiktok",
        abstract: "Add a TikTok account.",
        discussion: """
            Tokens are read from files, or one of them from standard input with `-` (white space around \
            them is ignored). The daemon refreshes the access token with the refresh token.
            """)

    @OptionGroup var client: ClientOptions

    @Option(name: .long, help: ArgumentHelp("The account's TikTok open_id.", valueName: "id"))
    var openId: String

    @Option(name: .long, help: ArgumentHelp("File holding the access token, or - for standard input.", valueName: "file"))
    var accessTokenFile: String

    @Option(name: .long, help: ArgumentHelp("File holding the refresh token, or - for standard input.", valueName: "file"))
    var refreshTokenFile: String

    @Option(name: .long, help: ArgumentHelp("When the access token expires (RFC 3339).", valueName: "time"))
    var expiresAt: String?

    @Option(name: .long, help: ArgumentHelp("When the refresh token expires (RFC 3339).", valueName: "time"))
    var refreshExpiresAt: String?

    @Option(name: .long, help: ArgumentHelp("Display name.", valueName: "name"))
    var username: String?

    @Flag(name: .customLong("no-auto-sync"), help: "Add the account paused: no scheduled syncs until `postsync autosync on`.")
    var noAutoSync = false

    @Flag(name: .long, help: "Print the control API's JSON answer as is.")
    var json = false

    func validate() throws {
        if openId.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--open-id: must not be empty") }
    }

    func run() async throws {
        try TokenFile.checkSingleStandardInput([
            ("--access-token-file", accessTokenFile), ("--refresh-token-file", refreshTokenFile),
        ])
        let expiry = try ArgumentValues.timestamp(expiresAt, flag: "--expires-at")
        let refreshExpiry = try ArgumentValues.timestamp(refreshExpiresAt, flag: "--refresh-expires-at")
        let accessToken = try TokenFile.read(accessTokenFile, flag: "--access-token-file")
        let refreshToken = try TokenFile.read(refreshTokenFile, flag: "--refresh-token-file")
        let account = NewAccount(
            platform: .tiktok, externalId: openId, accessToken: accessToken, refreshToken: refreshToken,
            expiresAt: expiry, refreshExpiresAt: refreshExpiry, username: username, autoSync: !noAutoSync)
        try await AccountsAddCommand.add(account, client: client, json: json)
    }
}
