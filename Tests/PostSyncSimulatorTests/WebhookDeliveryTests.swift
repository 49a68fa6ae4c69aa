import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import Synchronization
import Testing

@testable import PostSyncSimulator

/// Webhooks over real loopback sockets: a simulator configured with a webhook URL delivers
/// signed requests to a recording receiver.
@Suite struct WebhookDeliveryTests {
    /// Should deliver, from a running simulator server, a signed Instagram `comments` change for a
    /// new post, a TikTok `post.publish.publicly_available` and `authorization.removed` on revoke,
    /// and nothing for a metrics change.
    @Test func simulatorServerForwardsWorldEvents() async throws {
        try await RecordingReceiver.with { receiver, url in
            let configuration = SimulatorConfiguration(seed: 7, webhookURL: url)
            let world = SimulatorWorld(configuration: configuration)
            let server = SimulatorServer(world: world, logger: quietLogger)
            let serverTask = Task { try await server.run { _ in } }
            defer { serverTask.cancel() }
            let accounts = await world.accounts()
            let instagram = try #require(accounts.first(where: { $0.platform == "instagram" }))
            let tiktok = try #require(accounts.first(where: { $0.platform == "tiktok" }))
            await world.bumpMetrics(platform: "instagram", externalId: instagram.externalId)
            let publishedOnInstagram = await world.publishPost(platform: "instagram", externalId: instagram.externalId)
            let publishedOnTikTok = await world.publishPost(platform: "tiktok", externalId: tiktok.externalId)
            let igPost = try #require(publishedOnInstagram)
            let ttPost = try #require(publishedOnTikTok)
            await world.revokeToken(platform: "tiktok", externalId: tiktok.externalId)

            let received = try await receiver.collect(3, timeout: .seconds(20))
            #expect(received.map(\.path) == ["/webhooks/instagram", "/webhooks/tiktok", "/webhooks/tiktok"])

            let ig = received[0]
            let igHex = try PythonHMAC.hex(key: configuration.instagramAppSecret, message: ig.body)
            #expect(ig.headers["x-hub-signature-256"] == "sha256=\(igHex)")
            #expect(ig.headers["content-type"] == "application/json")
            let igObject = try #require(try JSONSerialization.jsonObject(with: ig.body) as? [String: Any])
            let entry = try #require((igObject["entry"] as? [[String: Any]])?.first)
            #expect(entry["id"] as? String == instagram.externalId)
            let change = try #require((entry["changes"] as? [[String: Any]])?.first)
            #expect(change["field"] as? String == "comments")
            #expect(((change["value"] as? [String: Any])?["media"] as? [String: Any])?["id"] as? String == igPost.id)

            var events: [String] = []
            for delivery in received.dropFirst() {
                let parts = try #require(PythonHMAC.tiktokParts(delivery.headers["tiktok-signature"] ?? ""))
                let hex = try PythonHMAC.hex(
                    key: configuration.tiktokClientSecret, message: Data("\(parts.t).".utf8) + delivery.body)
                #expect(parts.s == hex)
                let seconds = try #require(Double(parts.t))
                #expect(abs(Date().timeIntervalSince1970 - seconds) < 60)
                let object = try #require(try JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])
                #expect(object["user_openid"] as? String == tiktok.externalId)
                #expect(object["client_key"] as? String == configuration.tiktokClientKey)
                let content = try #require(object["content"] as? String)
                let inner = try #require(try JSONSerialization.jsonObject(with: Data(content.utf8)) as? [String: Any])
                let event = try #require(object["event"] as? String)
                events.append(event)
                if event == "post.publish.publicly_available" {
                    #expect(inner["post_id"] as? String == ttPost.id)
                    #expect(inner["publish_type"] as? String == "DIRECT_PUBLISH")
                } else {
                    #expect(inner["reason"] as? Int == 1)
                }
            }
            #expect(events == ["post.publish.publicly_available", "authorization.removed"])
        }
    }

    /// Should POST a batch to `<url>/webhooks/instagram` and report the receiver's status.
    @Test func senderReportsTheReceiversStatus() async throws {
        try await RecordingReceiver.with { receiver, url in
            let sender = WebhookSender(
                webhookURL: url + "/", appSecret: "s", tiktokClientSecret: "t", tiktokClientKey: "k", httpClient: .shared)
            let status = try await sender.deliverInstagram(accountIDs: ["1", "2", "1"])
            #expect(status == 200)
            let tiktokStatus = try await sender.deliverTikTok(
                openID: "o", event: "authorization.removed", content: #"{"reason":1}"#)
            #expect(tiktokStatus == 200)
            let received = try await receiver.collect(2, timeout: .seconds(20))
            #expect(received.map(\.path) == ["/webhooks/instagram", "/webhooks/tiktok"])
            let object = try #require(try JSONSerialization.jsonObject(with: received[0].body) as? [String: Any])
            #expect((object["entry"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["1", "2", "1"])
        }
    }
}

/// A logger that drops everything.
private let quietLogger = Logger(label: "webhook-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A loopback HTTP server that records every request and answers 200.
final class RecordingReceiver: Sendable {
    /// One recorded request.
    struct Request: Sendable {
        /// The request path.
        var path: String
        /// Header values by lower-cased name.
        var headers: [String: String]
        /// The raw body.
        var body: Data
    }

    private let received = Mutex<[Request]>([])

    /// Runs a receiver for the duration of `body`, which gets it and its base URL.
    static func with(_ body: @Sendable (RecordingReceiver, String) async throws -> Void) async throws {
        let receiver = RecordingReceiver()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await receiver.run { port in portContinuation.yield(port) } }
            var iterator = ports.makeAsyncIterator()
            let ready = await iterator.next()
            let port = try #require(ready)
            defer { group.cancelAll() }
            try await body(receiver, "http://127.0.0.1:\(port)")
        }
    }

    /// Waits until `count` requests arrived (polling), then returns them in arrival order.
    /// - Throws: `TimedOut` when fewer arrived within `timeout`.
    func collect(_ count: Int, timeout: Duration) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let snapshot = received.withLock { $0 }
            if snapshot.count >= count { return snapshot }
            guard ContinuousClock.now < deadline else { throw TimedOut(expected: count, arrived: snapshot.count) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Fewer webhooks arrived than expected.
    struct TimedOut: Error, CustomStringConvertible {
        var expected: Int
        var arrived: Int
        var description: String { "only \(arrived) of \(expected) webhooks arrived" }
    }

    private func run(onReady: @escaping @Sendable (Int) async -> Void) async throws {
        let responder = CallbackResponder { (request: Hummingbird.Request, _: BasicRequestContext) -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: 4 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let recorded = Request(path: request.uri.path, headers: headers, body: Data(buffer.readableBytesView))
            self.received.withLock { $0.append(recorded) }
            return Response(status: .ok)
        }
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            logger: quietLogger)
        try await application.run()
    }
}
