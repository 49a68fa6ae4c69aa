import ArgumentParser
import Foundation
import Logging
import PostSyncSimulator

/// `postsync simulate`: both platforms' APIs on one loopback listener, for tests, benchmarks and
/// the demo.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Serve a simulator of the Instagram Graph and TikTok v2 APIs (no real credentials needed).",
        discussion: """
            Accounts, posts and tokens are generated deterministically from --seed. Admin endpoints live \
            under /_sim/ (GET /_sim/accounts lists the accounts with their tokens; POST /_sim/publish?account=ID \
            publishes a post; POST /_sim/expire|revoke?account=ID; PUT /_sim/fault?endpoint=NAME; \
            POST /_sim/webhook?account=ID&event=NAME). \
            Point the daemon at it with instagram.graph_url, instagram.facebook_graph_url and tiktok.api_url. \
            With --webhook-url, publishing a post delivers the webhook the platform would (an Instagram comments \
            change on the new media, TikTok post.publish.publicly_available), and revoking a TikTok account delivers \
            authorization.removed, signed with the simulator's app secret (sim-app-secret) and client secret \
            (sim-client-secret).
            """)

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen = "127.0.0.1:8788"

    @Option(help: "Number of accounts; half Instagram (rounded up), half TikTok.")
    var accounts = 4

    @Option(help: "Posts per account.")
    var posts = 30

    @Option(help: "Seed of the generated world.")
    var seed: UInt64 = 1

    @Option(help: "TikTok requests per minute per endpoint that the simulator enforces (TikTok's default is 600).")
    var tiktokRequestsPerMinute = 600

    @Option(
        help: ArgumentHelp(
            "Base URL of a daemon's HTTP listener; signed webhooks go to <url>/webhooks/instagram and <url>/webhooks/tiktok.",
            valueName: "url"))
    var webhookUrl: String?

    func run() async throws {
        let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, let port = Int(parts.last!), (0...65_535).contains(port) else {
            throw ValidationError("--listen: \"\(listen)\" is not host:port")
        }
        let host = parts.dropLast().joined(separator: ":")
        guard accounts >= 0, posts >= 0 else { throw ValidationError("--accounts and --posts must not be negative") }
        let configuration = SimulatorConfiguration(
            seed: seed, instagramAccounts: (accounts + 1) / 2, tiktokAccounts: accounts / 2, postsPerAccount: posts,
            tiktokRequestsPerMinute: tiktokRequestsPerMinute, webhookURL: webhookUrl)
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "postsync.simulate")
        logger.logLevel = .warning
        let world = SimulatorWorld(configuration: configuration)
        let server = SimulatorServer(world: world, host: host, port: port, logger: logger)
        try await server.run { port in
            // Unbuffered, so scripts waiting for this line see it at once.
            FileHandle.standardOutput.write(
                Data("simulator listening on http://\(host):\(port) with \(accounts) account(s) x \(posts) post(s)\n".utf8))
        }
    }
}
