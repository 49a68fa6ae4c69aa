import Foundation

/// Faults injected into one endpoint's answers.
///
/// Each request makes one roll `r` in `0 ..< 1` with the world's seeded generator:
/// `r < rateLimitRate` answers the platform's rate-limit error; the next `errorRate` answers HTTP 500
/// with the platform's error body; the next `malformedRate` answers HTTP 200 with the normal body
/// cut in half. `latencyMs` delays every answer, faulty or not.
public struct SimulatorFault: Sendable, Codable, Equatable {
    /// Fraction of requests answered HTTP 500 with the platform's error body.
    public var errorRate: Double
    /// Delay added to every answer, in milliseconds.
    public var latencyMs: Int
    /// Fraction of requests answered HTTP 200 with truncated JSON.
    public var malformedRate: Double
    /// Fraction of requests answered with the platform's real rate-limit error
    /// (Instagram code 80002, TikTok HTTP 429 `rate_limit_exceeded`).
    public var rateLimitRate: Double

    /// Creates a fault; the defaults inject nothing.
    public init(errorRate: Double = 0, latencyMs: Int = 0, malformedRate: Double = 0, rateLimitRate: Double = 0) {
        self.errorRate = errorRate
        self.latencyMs = latencyMs
        self.malformedRate = malformedRate
        self.rateLimitRate = rateLimitRate
    }

    private enum CodingKeys: String, CodingKey {
        case errorRate, latencyMs, malformedRate, rateLimitRate
    }

    /// Decodes a fault; every key is optional so `{"latencyMs":200}` is a valid admin body.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.errorRate = try container.decodeIfPresent(Double.self, forKey: .errorRate) ?? 0
        self.latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs) ?? 0
        self.malformedRate = try container.decodeIfPresent(Double.self, forKey: .malformedRate) ?? 0
        self.rateLimitRate = try container.decodeIfPresent(Double.self, forKey: .rateLimitRate) ?? 0
    }
}
