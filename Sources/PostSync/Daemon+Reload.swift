import Foundation
import Logging

extension Daemon {
    /// SIGHUP: applies a re-read configuration where it can change live (schedule, backoff,
    /// restart policy, lookback, deadline, token refresh timing, webhook and cron secrets),
    /// reopens the SyncLog, and logs the keys that only a restart applies.
    public func reload() async {
        do { try await syncLog.reopen() } catch {
            logger.error("SyncLog could not be reopened", metadata: ["error": "\(error)"])
        }
        guard let reloadConfiguration else {
            logger.notice("reload: no configuration file; the SyncLog was reopened")
            return
        }
        let new: Configuration
        do { new = try reloadConfiguration() } catch {
            logger.error("reload failed; the running configuration stays", metadata: ["error": "\(error)"])
            return
        }
        let restartOnly = Self.restartOnlyChanges(from: configuration, to: new)
        var settings = Self.supervisorSettings(new)
        // The TikTok limiter keeps its limit until a restart, so the schedule plans under that one.
        settings.tiktokRequestsPerMinute = configuration.tiktok.requestsPerMinute
        await supervisor.reconfigure(settings)
        listenerSecrets.set(Self.listenerSecrets(new))
        current.withLock { $0 = new }
        connect.reconfigure(new)
        logger.info("configuration reloaded", metadata: ["sync.interval": "\(DurationText.format(new.sync.interval))"])
        if !restartOnly.isEmpty {
            logger.warning(
                "some changed settings apply only after a restart",
                metadata: ["config.keys": "\(restartOnly.joined(separator: ", "))"])
        }
    }

    /// The keys whose change needs a restart (listeners, files, clients, limits).
    static func restartOnlyChanges(from old: Configuration, to new: Configuration) -> [String] {
        var keys: [String] = []
        func check<T: Equatable>(_ key: String, _ path: KeyPath<Configuration, T>) {
            if old[keyPath: path] != new[keyPath: path] { keys.append(key) }
        }
        check("state_dir", \.stateDirectory)
        check("control", \.control)
        check("http", \.http)
        check("sync.max_concurrent", \.sync.maxConcurrent)
        check("synclog", \.synclog)
        check("instagram.graph_url", \.instagram.graphURL)
        check("instagram.facebook_graph_url", \.instagram.facebookGraphURL)
        check("instagram.api_version", \.instagram.apiVersion)
        check("instagram.insights", \.instagram.insights)
        check("instagram.insights_lookback", \.instagram.insightsLookback)
        check("instagram.insights_every", \.instagram.insightsEvery)
        check("tiktok.api_url", \.tiktok.apiURL)
        check("tiktok.client_key", \.tiktok.clientKey)
        check("tiktok.client_secret (token refresh)", \.tiktok.clientSecret)
        check("tiktok.requests_per_minute", \.tiktok.requestsPerMinute)
        return keys
    }

    /// The secrets the HTTP listener checks.
    static func listenerSecrets(_ c: Configuration) -> HTTPListenerAPI.Secrets {
        HTTPListenerAPI.Secrets(
            instagramAppSecret: c.instagram.appSecret?.value, instagramVerifyToken: c.instagram.verifyToken?.value,
            tiktokClientSecret: c.tiktok.clientSecret?.value, cronSecret: c.cron.secret?.value)
    }
}

/// The listener's secrets, swapped atomically on reload.
public final class SecretsBox: Sendable {
    private let secrets: Locked<HTTPListenerAPI.Secrets>
    /// Creates the box.
    public init(_ secrets: HTTPListenerAPI.Secrets) { self.secrets = Locked(secrets) }
    /// The current secrets.
    public var value: HTTPListenerAPI.Secrets { secrets.withLock { $0 } }
    /// Replaces them.
    public func set(_ new: HTTPListenerAPI.Secrets) { secrets.withLock { $0 = new } }
}
