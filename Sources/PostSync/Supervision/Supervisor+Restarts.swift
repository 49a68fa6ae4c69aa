import Foundation
import Logging

extension Supervisor {
    /// Applies the restart policy to a crash: waits the restart delay, or quarantines.
    /// - Returns: true when shutdown began during the delay.
    @inline(never)  // as `AccountActor.runSync`: it must not grow the frame of `supervise`
    func restartAfterCrash(_ actor: AccountActor, error: any Error) async -> Bool {
        let id = actor.id
        var policy =
            modifyAccounts { $0.policies[id] }.flatMap { $0 }
            ?? RestartPolicy(maxRestarts: settings.restartMax, window: settings.restartWithin)
        let decision = policy.crashed(at: clock.now)
        _ = modifyAccounts { [policy] in $0.policies[id] = policy }
        switch decision {
        case .restart(let delay):
            logger.warning(
                "account worker crashed, restarting",
                metadata: ["account.id": "\(id)", "error": "\(error)", "restart.delay_ms": "\(delay.milliseconds)"])
            return await shutdown.wait(until: clock.now.addingTimeInterval(delay.seconds), clock: clock)
        case .quarantine(let crashes):
            await quarantine(actor, crashes: crashes, error: error)
            return false
        }
    }

    private func quarantine(_ actor: AccountActor, crashes: Int, error: any Error) async {
        let message = "quarantined after \(crashes) crashes within \(DurationText.format(settings.restartWithin)): \(error)"
        logger.error("account quarantined", metadata: ["account.id": "\(actor.id)", "error": "\(error)"])
        do { try await actor.quarantine(message) } catch {
            logger.error("quarantine could not be persisted", metadata: ["account.id": "\(actor.id)", "error": "\(error)"])
        }
        let now = clock.now
        let entry = SyncLogEntry(
            accountId: actor.id.description, platform: actor.id.platform, trigger: .schedule, postsFound: 0,
            postsSynced: 0, status: .error, errorMessage: message, duration: 0, createdAt: now, startedAt: now,
            apiCalls: 0, tokenRefreshed: false, attempt: crashes)
        _ = try? await recorder.record(entry)
    }
}
