/// What reaches an account actor through its mailbox.
public enum AccountEvent: Sendable {
    /// Sync now (coalesced: triggers that arrive while a run is in flight join one next run).
    /// The promise, when given, receives the run's SyncLog entry, or nil when no run happened.
    case trigger(SyncTrigger, Promise<SyncLogEntry?>?)
    /// Re-read the schedule (autoSync, token or settings changed).
    case wake
    /// Leave the run loop after the current run (account removed, or shutdown).
    case stop
}
