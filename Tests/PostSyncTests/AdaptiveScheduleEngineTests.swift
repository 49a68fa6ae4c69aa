import Foundation
import PostSyncSimulator
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The adaptive schedule in the running daemon against the simulator, once per store: what a
/// sync learns is shown in `status` and kept through a restart (CONTRACT section 12).
@Suite struct AdaptiveScheduleEngineTests {
    @Test(arguments: StoreBackend.all) func learnsShowsAndKeeps(backend: StoreBackend) async throws {
        try await EngineIntegrationTests.withEngine(backend, posts: 40) { world, config, directory in
            var config = config
            config.sync.interval = .seconds(900)
            config.sync.schedule = .adaptive(.init())
            let learned = try await EngineIntegrationTests.withDaemon(config, directory: directory) { daemon in
                _ = try await SimulatorHarness.importAccounts(from: world, into: daemon.store)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await daemon.runEngine() }
                    try await eventually("first syncs") {
                        try SyncLogReader(directory: daemon.stateDirectory).readAll().entries.count == 4
                    }
                    daemon.supervisor.beginShutdown()
                    try await group.waitForAll()
                }
                return try await daemon.store.accounts()
            }
            #expect(learned.count == 4)
            for record in learned {
                let rhythm = try #require(record.rhythm, "\(record.id): the first sync's history is stored")
                #expect(!rhythm.isPrior)
                let planned = try #require(record.nextSyncAt).timeIntervalSince(try #require(record.lastSyncAt))
                #expect((59...3_601).contains(planned), "\(record.id): planned \(planned) s")
            }
            // A restart starts from what was stored, and status shows it.
            try await EngineIntegrationTests.withDaemon(config, directory: directory) { daemon in
                let views = try await daemon.supervisor.accountViews()
                for record in learned {
                    let view = try #require(views.first { $0.id == record.id.description })
                    #expect(view.postsPerDay == record.rhythm?.postsPerDay)
                    let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(view)) as? [String: Any]
                    #expect(json?["postsPerDay"] is Double)
                    #expect(json?.keys.contains("syncInterval") == true)
                }
            }
        }
    }
}
