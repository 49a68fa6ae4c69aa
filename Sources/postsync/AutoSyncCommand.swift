import ArgumentParser
import Foundation
import PostSync

/// `postsync autosync on|off ACCOUNT`: turns an account's schedule on or off (persisted).
struct AutoSyncCommand: AsyncParsableCommand {
    /// The two settings.
    enum Setting: String, ExpressibleByArgument, CaseIterable {
        /// Scheduled syncs run.
        case on
        /// The account is paused.
        case off
    }

    static let configuration = CommandConfiguration(
        commandName: "autosync",
        abstract: "Turn an account's scheduled syncs on or off (survives restarts).")

    @OptionGroup var client: ClientOptions

    @Argument(help: ArgumentHelp("on or off.", valueName: "on|off"))
    var setting: Setting

    @Argument(help: ArgumentHelp("The account: instagram:<id> or tiktok:<open_id>.", valueName: "account"))
    var account: String

    @Flag(name: .long, help: "Print the control API's JSON answer as is.")
    var json = false

    func run() async throws {
        let id = try ArgumentValues.account(account)
        struct Body: Encodable { var enabled: Bool }
        let request = try ControlClient.json(Body(enabled: setting == .on))
        let body = try await client.withClient {
            try await $0.put(ControlClient.accountPath(id, "/auto-sync"), json: request).body
        }
        if json { return Output.json(body) }
        let view = try Output.decode(AccountView.self, from: body)
        Output.line(Self.confirmation(view, now: Date()))
    }

    /// `auto-sync on for instagram:1 (next sync in 15m)` or `auto-sync off for instagram:1: paused`.
    static func confirmation(_ view: AccountView, now: Date) -> String {
        guard view.autoSync else { return "auto-sync off for \(view.id): \(view.state.rawValue)" }
        switch view.state {
        case .needsReauth:
            return "auto-sync on for \(view.id), but it needs a new token first (`postsync accounts set-token`)"
        case .quarantined:
            return "auto-sync on for \(view.id), but it is quarantined"
        case .syncing:
            return "auto-sync on for \(view.id) (syncing now)"
        case .idle, .backoff, .paused:
            guard let next = view.nextSyncAt else { return "auto-sync on for \(view.id) (\(view.state.rawValue))" }
            let when = next <= now ? "due now" : RelativeTime.describe(next, now: now)
            return "auto-sync on for \(view.id) (next sync \(when))"
        }
    }
}
