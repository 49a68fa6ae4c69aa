import Foundation
import PostSyncSimulator
import PostSyncTestSupport
import Testing

@testable import PostSync

/// Two real daemons (store, leases, coordinator, supervisor, clients) on one PostgreSQL schema
/// against the simulator (CONTRACT section 10): they split the accounts, act for each other's
/// accounts, and the survivor takes over what a stopped daemon gave up.
@Suite struct ClusterEngineTests {
    static let simulator = SimulatorConfiguration(seed: 11, instagramAccounts: 5, tiktokAccounts: 5, postsPerAccount: 3)

    /// A daemon of the cluster, running its engine in a task until `stop()`.
    final class Member: Sendable {
        let daemon: Daemon
        let engine: Task<Void, any Error>

        init(_ configuration: Configuration, node: String, directory: String) async throws {
            var configuration = configuration
            configuration.cluster = .init(nodeID: node, lease: .seconds(3))
            let daemon = try await Daemon(
                configuration: configuration, stateDirectory: directory, seed: 1, fsync: .never, logger: testLogger())
            self.daemon = daemon
            engine = Task { try await daemon.runEngine() }
        }

        var held: Int { daemon.cluster?.book.count ?? 0 }

        func stop() async throws {
            daemon.supervisor.beginShutdown()
            try await engine.value
            await daemon.close()
        }
    }

    @Test(.enabled(if: StoreBackend.all.contains(.postgres), "needs PostgreSQL: run under scripts/with-postgres.sh"))
    func twoDaemonsShareBalanceAndActForEachOther() async throws {
        try await SimulatorHarness.with(Self.simulator) { world, url in
            var config = try StoreBackend.postgres.configure(
                SimulatorHarness.configuration(baseURL: url, simulator: Self.simulator))
            // Long enough that only the claims' first syncs and the triggers below run.
            config.sync.interval = .seconds(3600)
            try await withTemporaryDirectory { root in
                let a = try await Member(config, node: "node-a", directory: root + "/a")
                var b: Member?
                do {
                    let ids = try await SimulatorHarness.importAccounts(from: world, into: a.daemon.store)
                    #expect(ids.count == 10)
                    try await eventually("node-a claims every account and syncs each once", timeout: .seconds(20)) {
                        let rows = try await a.daemon.store.syncLogTable?.entries(after: 0, limit: 100) ?? []
                        return a.held == 10 && rows.count == 10
                    }

                    let second = try await Member(config, node: "node-b", directory: root + "/b")
                    b = second
                    // A new daemon gets its share within 2 × lease, without a stampede of syncs.
                    let joined = ContinuousClock.now
                    try await eventually("the two daemons hold 5 each", timeout: .seconds(20)) {
                        a.held == 5 && second.held == 5
                    }
                    #expect(ContinuousClock.now - joined < .seconds(6) + .seconds(2))
                    let rows = try await a.daemon.store.syncLogTable?.entries(after: 0, limit: 100) ?? []
                    #expect(rows.count == 10, "a moved account keeps next_sync_at: no sync because it moved")

                    // Status from either daemon: both nodes, and each account's holder.
                    let nodes = await a.daemon.supervisor.nodes(startedAt: Date())
                    #expect(nodes.map(\.id) == ["node-a", "node-b"])
                    #expect(nodes.map(\.accounts) == [5, 5])
                    let views = try await a.daemon.supervisor.accountViews()
                    #expect(Set(views.compactMap(\.node)) == ["node-a", "node-b"])
                    #expect(views.allSatisfy { $0.node != nil })

                    // A trigger on node-a for an account node-b holds runs on node-b, and
                    // `--wait` gets its entry back.
                    let remote = try #require(views.first { $0.node == "node-b" })
                    let remoteID = try #require(AccountID(remote.id))
                    let asked = ContinuousClock.now
                    let entry = try await a.daemon.supervisor.trigger(remoteID, .manual, wait: true)
                    #expect(entry?.accountId == remote.id && entry?.trigger == .manual && entry?.status == .success)
                    #expect(ContinuousClock.now - asked < .seconds(3))
                    let written = try await a.daemon.store.syncLogTable?.entries(after: 10, limit: 100) ?? []
                    #expect(written.map(\.accountId) == [remote.id])

                    // `sync --all --wait` from node-b covers both daemons' accounts.
                    let summary = await second.daemon.supervisor.syncAll(.manual)
                    #expect(summary.total == 10 && summary.synced == 10 && summary.failed == 0)

                    // An operator change through node-a for node-b's account reaches node-b's worker.
                    try await a.daemon.supervisor.setAutoSync(remoteID, enabled: false)
                    try await eventually("node-b's worker paused the account") {
                        try await second.daemon.supervisor.state(of: remoteID) == .paused
                    }

                    // SIGTERM's path: node-b gives its leases up, node-a takes them at once.
                    try await second.stop()
                    b = nil
                    try await eventually("node-a holds every account again", timeout: .seconds(10)) { a.held == 10 }
                    let left = await a.daemon.supervisor.nodes(startedAt: Date())
                    #expect(left.map(\.id) == ["node-a"])
                } catch {
                    try? await b?.stop()
                    try? await a.stop()
                    throw error
                }
                try await a.stop()
            }
        }
    }
}
