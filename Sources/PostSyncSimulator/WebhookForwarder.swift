import Foundation
import Logging

/// Turns the world's events into signed webhook deliveries, where the real platform would send one.
///
/// The world is an actor without HTTP: it only emits `SimulatorEvent`s. The forwarder consumes
/// `SimulatorWorld.events` (a single-consumer stream, so run at most one forwarder per world),
/// maps each event with `WebhookDelivery.forEvent(_:)` and delivers in order, one at a time.
/// A failed delivery is logged and not retried: polling, not webhooks, is the daemon's guarantee.
public struct WebhookForwarder: Sendable {
    /// The events to forward.
    public let events: AsyncStream<SimulatorEvent>
    /// The sender that signs and POSTs.
    public let sender: WebhookSender
    /// Where delivery results go (warnings for failures, debug lines for successes).
    public let logger: Logger

    /// Creates a forwarder for `world`'s events.
    public init(world: SimulatorWorld, sender: WebhookSender, logger: Logger) {
        self.init(events: world.events, sender: sender, logger: logger)
    }

    /// Creates a forwarder for any event stream (tests feed their own).
    public init(events: AsyncStream<SimulatorEvent>, sender: WebhookSender, logger: Logger) {
        self.events = events
        self.sender = sender
        self.logger = logger
    }

    /// Forwards events until the stream ends or the task is cancelled.
    public func run() async {
        for await event in events {
            guard let delivery = WebhookDelivery.forEvent(event) else { continue }
            await forward(delivery, for: event)
        }
    }

    /// Delivers one webhook and logs the outcome; returns the HTTP status, or nil when it failed.
    @discardableResult
    public func forward(_ delivery: WebhookDelivery, for event: SimulatorEvent) async -> Int? {
        var metadata: Logger.Metadata = [
            "sim.event": "\(event.kind)", "sim.account": "\(event.platform):\(event.externalId)",
        ]
        do {
            let status = try await sender.deliver(delivery)
            metadata["http.status"] = "\(status)"
            if (200..<300).contains(status) {
                logger.debug("webhook delivered", metadata: metadata)
            } else {
                logger.warning("webhook refused", metadata: metadata)
            }
            return status
        } catch is CancellationError {
            return nil
        } catch {
            // The error names the receiver at most; the payload and the secrets are never logged.
            metadata["error"] = "\(error)"
            logger.warning("webhook delivery failed", metadata: metadata)
            return nil
        }
    }
}
