import Foundation
import PostSyncTestSupport
import Testing

@testable import PostSync

/// The token vault over both stores: the first start with a key seals plaintext rows, a wrong
/// key is refused with nothing rewritten, a damaged row parks its account, and a rekey keeps a
/// rotation that lands during it.
@Suite struct TokenVaultTests {
    static let keyA = TokenSealerTests.keyA
    static let keyB = TokenSealerTests.keyB

    /// Opens a fresh store of `backend`, runs `body`, closes it.
    static func withBase<T: Sendable>(_ backend: StoreBackend, _ body: @Sendable (any Store) async throws -> T) async throws -> T
    {
        try await withTemporaryDirectory { directory in
            let configuration = try backend.configure(Configuration())
            return try await Daemon.openStore(configuration, stateDirectory: directory, logger: testLogger()).closing(body)
        }
    }

    static func records() -> [AccountRecord] {
        (1...3).map { n in
            AccountRecord(
                id: AccountID(platform: n == 1 ? .instagram : .tiktok, externalID: "u\(n)"), accessToken: "access-\(n)",
                refreshToken: n == 1 ? nil : "refresh-\(n)", createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        }
    }

    /// Should seal every plaintext row at the first start with a key, store nothing in plaintext
    /// afterwards, and give the plaintext back to the daemon.
    @Test(arguments: StoreBackend.all) func firstStartWithAKeySealsEverything(backend: StoreBackend) async throws {
        try await Self.withBase(backend) { base in
            try await base.insertAccounts(Self.records())
            let vault = TokenVault(base: base, key: Self.keyA)
            let preparation = try await vault.prepare(logger: testLogger())
            #expect(preparation == .init(sealed: 3, undecryptable: []))
            for raw in try await base.accounts() {
                #expect(TokenSealer.keyID(of: raw.accessToken) == Self.keyA.id)
                if let refresh = raw.refreshToken { #expect(TokenSealer.keyID(of: refresh) == Self.keyA.id) }
            }
            #expect(try await vault.accounts().map(\.accessToken) == ["access-1", "access-2", "access-3"])
            let id = Self.records()[1].id
            try await vault.saveTokens(
                id,
                TokenUpdate(
                    accessToken: "rotated", refreshToken: "rotated-r", expiresAt: nil, refreshExpiresAt: nil, refreshedAt: Date())
            )
            #expect(try await base.account(id)?.accessToken.hasPrefix("enc:v1:") == true)
            #expect(try await vault.account(id)?.refreshToken == "rotated-r")
            #expect(
                try await TokenVault(base: base, key: Self.keyA).prepare(logger: testLogger()).sealed == 0, "nothing left to seal"
            )
        }
    }

    /// Should refuse another key, or no key, over sealed rows, naming both key ids, and rewrite nothing.
    @Test(arguments: StoreBackend.all) func wrongOrMissingKeyChangesNothing(backend: StoreBackend) async throws {
        try await Self.withBase(backend) { base in
            let vault = TokenVault(base: base, key: Self.keyA)
            try await vault.insertAccounts(Self.records())
            let before = try await base.accounts()
            await #expect(throws: TokenSealer.OpenError.wrongKey(expected: Self.keyA.id, given: Self.keyB.id)) {
                try await TokenVault(base: base, key: Self.keyB).prepare(logger: testLogger())
            }
            await #expect(throws: TokenSealer.OpenError.wrongKey(expected: Self.keyA.id, given: nil)) {
                try await TokenVault(base: base, key: nil).prepare(logger: testLogger())
            }
            #expect(try await base.accounts() == before)
        }
    }

    /// Should put an account whose stored token was changed into needs_reauth with a clear error,
    /// hand out no token for it, and keep the others working.
    @Test(arguments: StoreBackend.all) func damagedRowParksItsAccount(backend: StoreBackend) async throws {
        try await Self.withBase(backend) { base in
            let vault = TokenVault(base: base, key: Self.keyA)
            try await vault.insertAccounts(Self.records())
            let victim = Self.records()[2].id
            let other = Self.records()[1].id
            // Copy another account's sealed token into the victim's row.
            let stolen = try #require(try await base.account(other)).accessToken
            try await base.saveTokens(
                victim,
                TokenUpdate(accessToken: stolen, refreshToken: nil, expiresAt: nil, refreshExpiresAt: nil, refreshedAt: Date()))
            let preparation = try await TokenVault(base: base, key: Self.keyA).prepare(logger: testLogger())
            #expect(preparation.undecryptable == [victim])
            let parked = try #require(try await base.account(victim))
            #expect(parked.state == .needsReauth && parked.lastError?.contains("does not decrypt") == true)
            #expect(try await vault.account(victim)?.accessToken == "")
            #expect(try await vault.account(other)?.accessToken == "access-2")
        }
    }

    /// Should keep a TikTok rotation that lands while a rekey runs: the last pair written is
    /// stored, sealed with the new key, and opens only with it.
    @Test(arguments: StoreBackend.all) func rekeyKeepsAConcurrentRotation(backend: StoreBackend) async throws {
        try await Self.withBase(backend) { base in
            let vault = TokenVault(base: base, key: Self.keyA)
            try await vault.insertAccounts(Self.records())
            let id = Self.records()[1].id
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for n in 1...20 {
                        try await vault.saveTokens(
                            id,
                            TokenUpdate(
                                accessToken: "act-\(n)", refreshToken: "rft-\(n)", expiresAt: nil, refreshExpiresAt: nil,
                                refreshedAt: Date()))
                    }
                }
                group.addTask {
                    let count = try await vault.rekey(to: Self.keyB)
                    #expect(count == 3)
                }
                try await group.waitForAll()
            }
            let raw = try #require(try await base.account(id))
            #expect(TokenSealer.keyID(of: raw.refreshToken ?? "") == Self.keyB.id, "sealed with the new key")
            #expect(try await vault.account(id)?.refreshToken == "rft-20", "the last rotation is kept")
            let restarted = TokenVault(base: base, key: Self.keyB)
            #expect(try await restarted.prepare(logger: testLogger()) == .init(sealed: 0, undecryptable: []))
            #expect(try await restarted.account(id)?.refreshToken == "rft-20")
            await #expect(throws: TokenSealer.OpenError.self) {
                try await TokenVault(base: base, key: Self.keyA).prepare(logger: testLogger())
            }
        }
    }
}
