import Foundation
import GRDB

/// The persisted state of an account (CONTRACT section 4 `state`).
public enum AccountState: String, Sendable, Codable, Hashable, CaseIterable {
    /// Waiting for its next scheduled sync.
    case idle
    /// A sync run is in flight.
    case syncing
    /// The last run failed; the next one waits out a backoff.
    case backoff
    /// autoSync is off.
    case paused
    /// The token is dead; no calls until a new token is set.
    case needsReauth = "needs_reauth"
    /// The account's worker crash-looped and is parked.
    case quarantined
}

/// The lease columns of an `accounts` row (CONTRACT section 10).
public struct AccountLease: Sendable, Equatable {
    /// `lease_owner`: the holder's node id, nil when released.
    public var owner: String?
    /// `lease_expires_at`.
    public var expiresAt: Date?
    /// `lease_epoch`: one more at every claim.
    public var epoch: Int64

    /// Creates the lease columns.
    public init(owner: String?, expiresAt: Date?, epoch: Int64) {
        self.owner = owner
        self.expiresAt = expiresAt
        self.epoch = epoch
    }

    /// The holder, if its lease has not expired at `now`.
    public func holder(at now: Date) -> String? {
        guard let owner, let expiresAt, expiresAt > now else { return nil }
        return owner
    }
}

/// One row of `accounts`, tokens included. Lives only inside the daemon: it never crosses the
/// control API (see `AccountView` for that).
public struct AccountRecord: Sendable, Equatable {
    /// `platform:external-id`.
    public var id: AccountID
    /// Optional display name.
    public var username: String?
    /// Instagram only.
    public var login: InstagramLogin?
    /// Whether the schedule runs.
    public var autoSync: Bool
    /// Persisted state.
    public var state: AccountState
    /// Current access token. Secret.
    public var accessToken: String
    /// TikTok refresh token. Secret.
    public var refreshToken: String?
    /// When the access token expires, if known.
    public var tokenExpiresAt: Date?
    /// When the refresh token expires (TikTok), if known.
    public var refreshExpiresAt: Date?
    /// When the access token was issued or last refreshed.
    public var tokenRefreshedAt: Date?
    /// When the last sync run finished (any status).
    public var lastSyncAt: Date?
    /// When the next scheduled sync is due.
    public var nextSyncAt: Date?
    /// Failed runs in a row.
    public var consecutiveFailures: Int
    /// The last run's error, if it failed.
    public var lastError: String?
    /// When the account was added.
    public var createdAt: Date
    /// What the schedule learned about the account (nil: nothing yet).
    public var rhythm: PostingRhythm?
    /// Who holds the account's lease (PostgreSQL with several daemons, CONTRACT section 10);
    /// nil in SQLite and for an account no daemon ever claimed. Read-only: only the lease
    /// statements write it.
    public var lease: AccountLease?
    /// The fingerprint of the page the store holds for the account (`page_digest`), when the
    /// last ingest said; a run that fetches the same page skips the store (see `PageDigest`).
    /// Read-only: only `ingest` writes it.
    public var pageDigest: PageDigest?

    /// Creates a record; every optional field defaults to nil.
    public init(
        id: AccountID, username: String? = nil, login: InstagramLogin? = nil, autoSync: Bool = true,
        state: AccountState = .idle, accessToken: String, refreshToken: String? = nil,
        tokenExpiresAt: Date? = nil, refreshExpiresAt: Date? = nil, tokenRefreshedAt: Date? = nil,
        lastSyncAt: Date? = nil, nextSyncAt: Date? = nil, consecutiveFailures: Int = 0,
        lastError: String? = nil, createdAt: Date, rhythm: PostingRhythm? = nil
    ) {
        self.rhythm = rhythm
        self.id = id
        self.username = username
        self.login = login
        self.autoSync = autoSync
        self.state = state
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenExpiresAt = tokenExpiresAt
        self.refreshExpiresAt = refreshExpiresAt
        self.tokenRefreshedAt = tokenRefreshedAt
        self.lastSyncAt = lastSyncAt
        self.nextSyncAt = nextSyncAt
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
        self.createdAt = createdAt
    }
}

// MARK: - Database

extension AccountRecord {
    /// Reads a record from a `SELECT * FROM accounts` row.
    init(row: Row) throws {
        guard let id = AccountID(row["id"] as String) else {
            throw StoreError.corrupt("accounts.id \(row["id"] as String? ?? "NULL") is not an account id")
        }
        self.init(
            id: id,
            username: row["username"],
            login: (row["login"] as String?).flatMap(InstagramLogin.init(rawValue:)),
            autoSync: row["auto_sync"],
            state: AccountState(rawValue: row["state"]) ?? .idle,
            accessToken: row["access_token"],
            refreshToken: row["refresh_token"],
            tokenExpiresAt: StoreDate.decode(row["token_expires_at"]),
            refreshExpiresAt: StoreDate.decode(row["refresh_expires_at"]),
            tokenRefreshedAt: StoreDate.decode(row["token_refreshed_at"]),
            lastSyncAt: StoreDate.decode(row["last_sync_at"]),
            nextSyncAt: StoreDate.decode(row["next_sync_at"]),
            consecutiveFailures: row["consecutive_failures"],
            lastError: row["last_error"],
            createdAt: StoreDate.decode(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
            rhythm: (row["schedule_model"] as String?).flatMap(PostingRhythm.init(text:))
        )
        pageDigest = (row["page_digest"] as String?).flatMap(PageDigest.init(text:))
    }
}

/// Dates are stored as RFC 3339 millisecond text, the same form as every other timestamp that
/// `postsync` writes, so other programs reading the database see one format.
enum StoreDate {
    /// Text for a column, or nil.
    static func encode(_ date: Date?) -> String? { date.map(Timestamp.format) }
    /// A date from a column, or nil.
    static func decode(_ text: String?) -> Date? { text.flatMap(Timestamp.parse) }
}
