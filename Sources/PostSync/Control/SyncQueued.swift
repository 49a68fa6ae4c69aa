/// The 202 answer of `POST /v1/accounts/{id}/sync` (`{"queued":true}`) and of `POST /v1/sync`
/// (`{"queued":true,"total":N}`) without `wait`.
struct SyncQueued: Encodable {
    /// Always true: the runs are queued, not done.
    var queued = true
    /// How many accounts were queued (`POST /v1/sync` only).
    var total: Int?
}
