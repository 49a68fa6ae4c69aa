import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostSync
import PostSyncSimulator

/// `postsync dev-import`: copies a running simulator's accounts (with their tokens) straight into
/// the store. For benchmarks and development only; operators add accounts through the daemon.
struct DevImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-import",
        abstract: "Import every account of a running `postsync simulate` into the state directory (development).",
        shouldDisplay: false)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Base URL of the simulator.", valueName: "url"))
    var simulator = "http://127.0.0.1:8788"

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let directory = global.stateDirectory(configuration)
        var request = HTTPClientRequest(url: simulator + "/_sim/accounts")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 512 << 20)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let accounts = try decoder.decode([SimulatedAccount].self, from: Data(body.readableBytesView))
        umask(0o077)
        try Daemon.prepareStateDirectory(directory)
        // Through the vault, so that a configured token key seals the imported tokens.
        let store = TokenVault(
            base: try await Daemon.openStore(
                configuration, stateDirectory: directory, logger: Logger(label: "postsync.dev-import")),
            key: configuration.database.tokenKey)
        let now = Date()
        let records = try accounts.map { try $0.newAccount.record(now: now) }
        try await store.closing { try await $0.insertAccounts(records) }
        let target = configuration.database.url.map { "\($0) schema \(configuration.database.schema)" } ?? directory
        print("imported \(records.count) account(s) into \(target)")
    }
}
