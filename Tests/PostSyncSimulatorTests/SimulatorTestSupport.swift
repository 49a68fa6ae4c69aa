import Foundation
import Synchronization
import Testing

@testable import PostSyncSimulator

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    /// Starts at `start` (a whole second).
    init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        current = Mutex(start)
    }

    /// The current time.
    func now() -> Date {
        current.withLock { $0 }
    }

    /// Moves the clock forward.
    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// Builds a world on a manual clock.
func makeWorld(seed: UInt64 = 7, clock: ManualClock, tiktokRequestsPerMinute: Int = 600) -> SimulatorWorld {
    var configuration = SimulatorConfiguration(seed: seed, tiktokRequestsPerMinute: tiktokRequestsPerMinute)
    configuration.now = { clock.now() }
    return SimulatorWorld(configuration: configuration)
}

/// The top-level JSON object of a response body.
func jsonObject(_ response: SimulatorHTTPResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
}

/// A form-encoded TikTok refresh request.
func tiktokRefreshRequest(_ refreshToken: String, secret: String = "sim-client-secret") -> SimulatorHTTPRequest {
    let form = QueryString.build([
        ("client_key", "sim-client-key"), ("client_secret", secret),
        ("grant_type", "refresh_token"), ("refresh_token", refreshToken),
    ])
    return SimulatorHTTPRequest(
        method: "POST", target: "/v2/oauth/token/",
        headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data(form.utf8)
    )
}

/// A TikTok `/v2/video/list/` request.
func tiktokListRequest(_ accessToken: String, body: String = "{\"max_count\":20}") -> SimulatorHTTPRequest {
    SimulatorHTTPRequest(
        method: "POST", target: "/v2/video/list/?fields=id,create_time,like_count",
        headers: ["Authorization": "Bearer \(accessToken)", "Content-Type": "application/json"], body: Data(body.utf8)
    )
}
