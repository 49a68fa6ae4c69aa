import Foundation
import Logging

/// How the supervisor reaches the other daemons (CONTRACT section 10): commands for accounts it
/// does not hold go through the database to whoever holds them, and answers come back the same
/// way. Answers are polled for (every 100 ms), so a notification lost with a dropped connection
/// only costs latency.
public final class ClusterLink: Sendable {
    /// The leases this daemon holds.
    public let book: LeaseBook
    let store: any ClusterStore
    let logger: Logger
    /// How long a command waits in the database for a holder before it is dropped.
    static let commandLifetime: Duration = .seconds(600)
    private static let poll: Duration = .milliseconds(100)

    /// Creates the link.
    public init(store: any ClusterStore, book: LeaseBook, logger: Logger) {
        self.store = store
        self.book = book
        self.logger = logger
    }

    /// This daemon's node id.
    public var node: String { book.node }

    /// Sends a command and, when it wants one, waits up to `timeout` for the answer.
    /// - Returns: The answer; nil without one or when none came in time.
    public func request(_ command: ClusterCommand, timeout: Duration) async throws -> ClusterReply? {
        try await store.send(command)
        guard command.wantsReply else { return nil }
        return try await awaitReply(command.id, timeout: timeout)
    }

    /// Waits for the answer to a command sent earlier.
    func awaitReply(_ id: String, timeout: Duration) async throws -> ClusterReply? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            do {
                if let body = try await store.takeReply(id) {
                    return try JSONCoding.decoder().decode(ClusterReply.self, from: body)
                }
            } catch StoreError.unavailable {
                // An outage: keep waiting, the answer is kept in the database.
            }
            try await Task.sleep(for: Self.poll)
        }
        return nil
    }

    /// Answers a command.
    func answer(_ command: ClusterCommand, _ reply: ClusterReply) async {
        guard command.wantsReply else { return }
        do {
            try await store.reply(command.id, body: try JSONCoding.encoder().encode(reply))
        } catch {
            logger.warning("cluster reply not sent", metadata: ["cluster.command": "\(command.id)", "error": "\(error)"])
        }
    }
}
