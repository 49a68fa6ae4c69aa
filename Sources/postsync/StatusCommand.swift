import ArgumentParser
import Foundation
import PostSync

/// `postsync status`: the daemon's version and uptime, and one line per account.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the daemon and every account: state, last and next sync, posts, token expiry.",
        discussion: "Exits 3 when the daemon is not reachable.")

    @OptionGroup var client: ClientOptions

    @Flag(name: .long, help: "Print the control API's JSON answer (GET /v1/status) as is.")
    var json = false

    func run() async throws {
        let body = try await client.withClient { try await $0.get("/v1/status").body }
        if json { return Output.json(body) }
        let status = try Output.decode(DaemonStatus.self, from: body)
        let now = Date()
        var lines = [StatusTable.header(status, now: now)]
        if status.accounts.isEmpty {
            lines.append("Add one with `postsync accounts add instagram|tiktok …`.")
        } else {
            lines.append("")
            lines.append(StatusTable.table(status.accounts, now: now, style: Output.style, nodes: status.nodes.count > 1))
            let problems = StatusTable.problems(status.accounts, now: now)
            if !problems.isEmpty {
                lines.append("")
                lines += problems
            }
        }
        Output.line(lines.joined(separator: "\n"))
    }
}
