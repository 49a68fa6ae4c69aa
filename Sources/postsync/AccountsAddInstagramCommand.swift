import ArgumentParser
import Foundation
import PostSync

/// `postsync accounts add instagram`: an Instagram professional account and its long-lived token.
struct AccountsAddInstagramCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instagram",
        abstract: "Add an Instagram professional account.",
        discussion: """
            The access token is read from --access-token-file, or from standard input with `-` \
            (white space around it is ignored). When --issued-at is not given, the long-lived token is \
            taken to have been issued 60 days before --expires-at.
            """)

    @OptionGroup var client: ClientOptions

    @Option(name: .long, help: ArgumentHelp("The Instagram user id (IG user id).", valueName: "id"))
    var userId: String

    @Option(name: .long, help: ArgumentHelp("File holding the access token, or - for standard input.", valueName: "file"))
    var accessTokenFile: String

    @Option(name: .long, help: ArgumentHelp("When the access token expires (RFC 3339).", valueName: "time"))
    var expiresAt: String?

    @Option(name: .long, help: ArgumentHelp("When the access token was issued (RFC 3339).", valueName: "time"))
    var issuedAt: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "How the token was obtained: instagram (Instagram Login, default) or facebook (Facebook Login).", valueName: "login"))
    var login: String?

    @Option(name: .long, help: ArgumentHelp("Display name.", valueName: "name"))
    var username: String?

    @Flag(name: .customLong("no-auto-sync"), help: "Add the account paused: no scheduled syncs until `postsync autosync on`.")
    var noAutoSync = false

    @Flag(name: .long, help: "Print the control API's JSON answer as is.")
    var json = false

    func validate() throws {
        if let login, InstagramLogin(rawValue: login) == nil {
            throw ValidationError("--login: \"\(login)\" is not instagram or facebook")
        }
        if userId.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--user-id: must not be empty") }
    }

    func run() async throws {
        let expiry = try ArgumentValues.timestamp(expiresAt, flag: "--expires-at")
        let issued = try ArgumentValues.timestamp(issuedAt, flag: "--issued-at")
        let token = try TokenFile.read(accessTokenFile, flag: "--access-token-file")
        let account = NewAccount(
            platform: .instagram, externalId: userId, accessToken: token, expiresAt: expiry, username: username,
            login: login.flatMap(InstagramLogin.init(rawValue:)), autoSync: !noAutoSync, issuedAt: issued)
        try await AccountsAddCommand.add(account, client: client, json: json)
    }
}
