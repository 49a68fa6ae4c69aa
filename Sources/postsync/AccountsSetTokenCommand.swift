import ArgumentParser
import Foundation
import PostSync

/// `postsync accounts set-token`: replaces an account's token, e.g. after `needs_reauth`.
struct AccountsSetTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-token",
        abstract: "Give an account a new token (clears needs_reauth).",
        discussion: "Tokens are read from files, or one of them from standard input with `-`.")

    @OptionGroup var client: ClientOptions

    @Argument(help: ArgumentHelp("The account: instagram:<id> or tiktok:<open_id>.", valueName: "account"))
    var account: String

    @Option(name: .long, help: ArgumentHelp("File holding the access token, or - for standard input.", valueName: "file"))
    var accessTokenFile: String

    @Option(
        name: .long, help: ArgumentHelp("File holding the refresh token (TikTok), or - for standard input.", valueName: "file"))
    var refreshTokenFile: String?

    @Option(name: .long, help: ArgumentHelp("When the access token expires (RFC 3339).", valueName: "time"))
    var expiresAt: String?

    @Option(name: .long, help: ArgumentHelp("When the refresh token expires (RFC 3339).", valueName: "time"))
    var refreshExpiresAt: String?

    @Option(name: .long, help: ArgumentHelp("When the access token was issued (RFC 3339).", valueName: "time"))
    var issuedAt: String?

    @Flag(name: .long, help: "Print the control API's JSON answer as is.")
    var json = false

    func run() async throws {
        let id = try ArgumentValues.account(account)
        try TokenFile.checkSingleStandardInput([
            ("--access-token-file", accessTokenFile), ("--refresh-token-file", refreshTokenFile),
        ])
        let expiry = try ArgumentValues.timestamp(expiresAt, flag: "--expires-at")
        let refreshExpiry = try ArgumentValues.timestamp(refreshExpiresAt, flag: "--refresh-expires-at")
        let issued = try ArgumentValues.timestamp(issuedAt, flag: "--issued-at")
        let accessToken = try TokenFile.read(accessTokenFile, flag: "--access-token-file")
        let refreshToken = try refreshTokenFile.map { try TokenFile.read($0, flag: "--refresh-token-file") }
        let update = NewAccount(
            platform: nil, externalId: nil, accessToken: accessToken, refreshToken: refreshToken,
            expiresAt: expiry, refreshExpiresAt: refreshExpiry, issuedAt: issued)
        let request = try ControlClient.json(update)
        let body = try await client.withClient { try await $0.put(ControlClient.accountPath(id, "/token"), json: request).body }
        if json { return Output.json(body) }
        let view = try Output.decode(AccountView.self, from: body)
        let expires =
            StatusTable.effectiveExpiry(of: view).map { ", token expires \(RelativeTime.describe($0, now: Date()))" } ?? ""
        Output.line("new token set for \(view.id) (state \(view.state.rawValue)\(expires))")
    }
}
