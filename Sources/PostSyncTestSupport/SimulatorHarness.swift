import Foundation
import Logging
import PostSync
import PostSyncSimulator

/// Runs the platform simulator on a free loopback port for the duration of a test body.
public enum SimulatorHarness {
    /// Starts the simulator, runs `body` with its world and base URL, then stops it.
    public static func with<T: Sendable>(
        _ configuration: SimulatorConfiguration, _ body: @Sendable (SimulatorWorld, String) async throws -> T
    ) async throws -> T {
        let world = SimulatorWorld(configuration: configuration)
        let server = SimulatorServer(world: world, logger: Logger(label: "sim", factory: { _ in SwiftLogNoOpLogHandler() }))
        let ready = Promise<Int>()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await server.run { port in ready.fulfill(port) }
                return nil
            }
            let port = await ready.value
            do {
                let result = try await body(world, "http://127.0.0.1:\(port)")
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    /// A daemon configuration pointed at a simulator: both Graph hosts and the TikTok API on
    /// `baseURL`, the simulator's TikTok app credentials, no HTTP listener.
    public static func configuration(baseURL: String, simulator: SimulatorConfiguration) -> Configuration {
        var c = Configuration()
        c.instagram.graphURL = baseURL
        c.instagram.facebookGraphURL = baseURL
        c.tiktok.apiURL = baseURL
        c.tiktok.clientKey = simulator.tiktokClientKey
        c.tiktok.clientSecret = Secret(simulator.tiktokClientSecret)
        c.http.listen = .off
        c.sync.jitter = 0
        return c
    }

    /// Adds every simulated account to the store, with the tokens the simulator issued.
    @discardableResult
    public static func importAccounts(from world: SimulatorWorld, into store: any Store, now: Date = Date()) async throws
        -> [AccountID]
    {
        var ids: [AccountID] = []
        for account in await world.accounts() {
            let record = try account.newAccount.record(now: now)
            try await store.insertAccount(record)
            ids.append(record.id)
        }
        return ids
    }
}

extension SimulatedAccount {
    /// The operator's view of a simulated account: what `postsync accounts add` would be given.
    public var newAccount: NewAccount {
        NewAccount(
            platform: Platform(rawValue: platform), externalId: externalId, accessToken: accessToken,
            refreshToken: refreshToken, expiresAt: expiresAt, refreshExpiresAt: refreshExpiresAt, username: username,
            login: login.flatMap(InstagramLogin.init(rawValue:)), issuedAt: issuedAt)
    }
}
