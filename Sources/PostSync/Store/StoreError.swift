/// Errors of the store that callers act on.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// An account with this id already exists.
    case accountExists(AccountID)
    /// No account with this id.
    case unknownAccount(AccountID)
    /// A row could not be read back.
    case corrupt(String)

    /// A human-readable message.
    public var description: String {
        switch self {
        case .accountExists(let id): "account \(id) already exists"
        case .unknownAccount(let id): "no account \(id)"
        case .corrupt(let what): "database row unreadable: \(what)"
        }
    }
}
