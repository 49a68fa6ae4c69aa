/// Errors of the store that callers act on.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// An account with this id already exists.
    case accountExists(AccountID)
    /// No account with this id.
    case unknownAccount(AccountID)
    /// A row could not be read back.
    case corrupt(String)
    /// The database cannot be reached now (an outage; the store reconnects by itself).
    case unavailable(String)
    /// The database refused a statement for another reason.
    case database(String)
    /// The schema was migrated by a newer postsync; nothing was changed.
    case schemaTooNew(found: Int, known: Int)
    /// A fenced write was refused: another daemon holds the account's lease now (CONTRACT
    /// section 10), or the account is gone.
    case leaseLost(AccountID)

    /// A human-readable message.
    public var description: String {
        switch self {
        case .accountExists(let id): "account \(id) already exists"
        case .unknownAccount(let id): "no account \(id)"
        case .corrupt(let what): "database row unreadable: \(what)"
        case .unavailable(let why): "database unavailable: \(why)"
        case .database(let why): why
        case .leaseLost(let id): "the lease of \(id) is held by another daemon now; write refused"
        case .schemaTooNew(let found, let known):
            "the database schema is at version \(found), newer than this postsync knows (\(known)); "
                + "upgrade postsync or point it at another schema (nothing was changed)"
        }
    }
}
