import ArgumentParser
import Foundation
import PostSync

/// `postsync posts`: the stored posts and their latest metrics, newest first.
struct PostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posts",
        abstract: "List stored posts with their latest metrics, newest first.",
        discussion: "A metric the platform did not give is shown as — (null in --json), never 0.")

    @OptionGroup var client: ClientOptions

    @Option(name: .long, help: ArgumentHelp("Only this account's posts.", valueName: "account"))
    var account: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Only posts published since then: RFC 3339, or a duration ago (30m, 2h, 7d).", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("At most this many posts (1 to 10000; the daemon's default is 100).", valueName: "n"))
    var limit: Int?

    @Flag(name: .long, help: "Print the control API's JSON answer (GET /v1/posts) as is.")
    var json = false

    func validate() throws {
        if let limit, !(1...10_000).contains(limit) { throw ValidationError("--limit: must be from 1 to 10000") }
    }

    func run() async throws {
        let id = try ArgumentValues.account(account, flag: "--account")
        let from = try ArgumentValues.since(since)
        let query: ControlClient.Query = [
            ("account", id), ("since", from.map(Timestamp.format)), ("limit", limit.map { String($0) }),
        ]
        let body = try await client.withClient { try await $0.get("/v1/posts", query: query).body }
        if json { return Output.json(body) }
        let posts = try Output.decode([PostView].self, from: body)
        Output.line(posts.isEmpty ? "no posts" : PostTable.render(posts, style: Output.style))
    }
}
