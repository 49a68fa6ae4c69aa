import Foundation
import PostSyncSimulator
import PostSyncTestSupport
import Testing

@testable import PostSync

/// `postsync tokens` against the real daemon binary: a key from `generate-key`, a rekey through
/// the control socket, and the next start with the old and the new key file.
@Suite struct TokensCLITests {
    static let sim = SimulatorConfiguration(seed: 3, instagramAccounts: 1, tiktokAccounts: 1, postsPerAccount: 3)

    /// Should seal the imported tokens with the configured key, re-seal them with a new key on
    /// `tokens rekey`, keep syncing, and then refuse the old key at start naming both key ids.
    @Test func rekeyThroughTheDaemon() async throws {
        try await SimulatorHarness.with(Self.sim) { world, simulatorURL in
            try await withTemporaryDirectory("postsync-tokens") { directory in
                let generated = try await ProcessRunner.run(ProcessRunner.postsync, ["tokens", "generate-key"])
                let oldKey = try TokenKey(base64: generated.stdout)
                let newText = TokenKey.generate()
                let newKey = try TokenKey(base64: newText)
                try generated.stdout.write(toFile: directory + "/old-key", atomically: true, encoding: .utf8)
                try newText.write(toFile: directory + "/new-key", atomically: true, encoding: .utf8)
                let state = directory + "/state"
                try Daemon.prepareStateDirectory(state)
                let plain = try SQLiteStore(path: state + "/postsync.sqlite")
                let ids = try await SimulatorHarness.importAccounts(from: world, into: plain)
                let yaml = "database:\n  token_key_file: \(directory)/old-key\n"
                try await withDaemonProcess(simulatorURL: simulatorURL, extraYAML: yaml, stateDirectory: state) { daemon in
                    for raw in try await plain.accounts() {
                        #expect(TokenSealer.keyID(of: raw.accessToken) == oldKey.id, "sealed at the first start with a key")
                    }
                    let rekey = try await daemon.cli(["tokens", "rekey", "--new-key-file", directory + "/new-key"])
                    #expect(rekey.status == 0, "\(rekey.stderr)")
                    #expect(rekey.stdout.contains("2 account(s)") && rekey.stdout.contains(newKey.id))
                    #expect(rekey.stdout.contains("database.token_key_file"))
                    for raw in try await plain.accounts() {
                        #expect(TokenSealer.keyID(of: raw.accessToken) == newKey.id)
                        #expect(!raw.accessToken.contains("sim-"), "no plaintext token in the file")
                    }
                    let sync = try await daemon.cli(["sync", ids[1].description, "--wait"])
                    #expect(sync.status == 0, "the daemon syncs on with the new key: \(sync.stdout)\(sync.stderr)")
                    let stopped = try await daemon.stop()
                    #expect(stopped.status == 0)
                }
                let refused = try await ProcessRunner.run(
                    ProcessRunner.postsync, ["serve", "--once", "--config", state + ".yaml", "--state-dir", state])
                #expect(refused.status == 1)
                #expect(refused.stderr.contains(oldKey.id) && refused.stderr.contains(newKey.id), "\(refused.stderr)")
                let config = try String(contentsOfFile: state + ".yaml", encoding: .utf8)
                try config.replacingOccurrences(of: "/old-key", with: "/new-key")
                    .write(toFile: state + ".yaml", atomically: true, encoding: .utf8)
                let accepted = try await ProcessRunner.run(
                    ProcessRunner.postsync, ["serve", "--once", "--config", state + ".yaml", "--state-dir", state])
                #expect(accepted.status == 0, "\(accepted.stdout)\(accepted.stderr)")
            }
        }
    }
}
