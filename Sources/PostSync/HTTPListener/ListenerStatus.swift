/// The small JSON answers of the listener: `{"status":"ok"}` (a delivery taken, or healthy),
/// `{"status":"duplicate"}` (a delivery already seen) and `{"status":"unavailable"}`.
struct ListenerStatus: Encodable, Sendable {
    /// The one field.
    var status: String

    /// Taken, or healthy.
    static let ok = ListenerStatus(status: "ok")
    /// A redelivery, acknowledged and ignored.
    static let duplicate = ListenerStatus(status: "duplicate")
    /// The supervisor does not answer.
    static let unavailable = ListenerStatus(status: "unavailable")
}
