import Foundation

/// The pending and recent connect attempts, as a pure value: every decision takes `now`, so the
/// expiry and single-use rules are tested with a manual clock. `ConnectService` keeps one behind
/// a lock.
struct ConnectRegistry {
    /// How long an attempt lives (CONTRACT section 11: 10 minutes).
    static let lifetime: TimeInterval = 600
    /// How long a finished or expired attempt stays visible to `GET /v1/connect/{id}` after it
    /// expired, so a poller sees the outcome (an expired one answers 410 meanwhile).
    static let retention: TimeInterval = 600
    /// At most this many attempts are kept; the oldest go first (a local user scripting
    /// `POST /v1/connect` in a loop must not grow the daemon without bound).
    static let capacity = 1_000

    private var attempts: [String: ConnectAttempt] = [:]

    /// Records a new attempt.
    mutating func insert(_ attempt: ConnectAttempt, now: Date) {
        prune(now: now)
        if attempts.count >= Self.capacity, let oldest = attempts.values.min(by: { $0.createdAt < $1.createdAt }) {
            attempts.removeValue(forKey: oldest.id)
        }
        attempts[attempt.id] = attempt
    }

    /// The attempt `id`.
    /// - Throws: 404 `unknown_connect`; 410 `connect_expired` once a still pending one expired.
    func attempt(_ id: String, now: Date) throws(ControlError) -> ConnectAttempt {
        guard let attempt = attempts[id] else { throw .unknownConnect(id) }
        if attempt.status == .pending, now >= attempt.expiresAt { throw .connectExpired }
        return attempt
    }

    /// Takes an attempt's single-use `state` for a completion: by id (the control API; `state`
    /// nil when the caller has only the code, which the control socket's permissions vouch for),
    /// or by `state` alone (the listener's callback).
    /// - Throws: `unknown_connect`, `connect_expired`, or `state_mismatch` when the state is not
    ///   the attempt's, or the attempt was already completed.
    mutating func claim(id: String?, state: String?, now: Date) throws(ControlError) -> ConnectAttempt {
        let found: ConnectAttempt
        if let id {
            found = try attempt(id, now: now)
            if let state, !ConstantTime.equal(state, found.state) { throw .stateMismatch }
        } else {
            guard let state, let match = Self.match(state, in: attempts.values) else { throw .stateMismatch }
            found = match
            if found.status == .pending, now >= found.expiresAt { throw .connectExpired }
        }
        guard !found.claimed, found.status == .pending else { throw .stateMismatch }
        attempts[found.id]?.claimed = true
        return found
    }

    /// Records how a claimed attempt ended.
    mutating func finish(_ id: String, _ result: Result<[AccountID], ControlError>) {
        switch result {
        case .success(let accounts):
            attempts[id]?.status = .connected
            attempts[id]?.accounts = accounts
        case .failure(let error):
            attempts[id]?.status = .failed
            attempts[id]?.error = error
        }
    }

    /// Forgets attempts whose retention after expiry has passed.
    mutating func prune(now: Date) {
        attempts = attempts.filter { now < $0.value.expiresAt.addingTimeInterval(Self.retention) }
    }

    /// The attempt whose state equals `state`, comparing with every attempt in constant time (no
    /// early exit: how long it takes says nothing about which state came close).
    private static func match(_ state: String, in attempts: Dictionary<String, ConnectAttempt>.Values) -> ConnectAttempt? {
        var found: ConnectAttempt?
        for attempt in attempts where ConstantTime.equal(state, attempt.state) { found = attempt }
        return found
    }
}
