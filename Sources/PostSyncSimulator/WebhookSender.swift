import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Delivers webhooks the way Meta and TikTok do: the documented JSON shapes, POSTed with the
/// platform's signature header, to `<webhookURL>/webhooks/instagram` and `<webhookURL>/webhooks/tiktok`.
///
/// The simulator shares no code with the daemon, so signing is written here again from the
/// platforms' documentation: Meta's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`
/// and TikTok's `TikTok-Signature: t=<unix s>,s=<hex HMAC-SHA256(client secret, "<t>." + body)>`.
/// The secrets are never logged or echoed.
public struct WebhookSender: Sendable {
    /// The receiver's base URL (no trailing slash).
    public let webhookURL: String
    /// The TikTok `client_key` put in deliveries.
    public let tiktokClientKey: String
    private let appSecret: String
    private let tiktokClientSecret: String
    private let httpClient: HTTPClient
    private let now: @Sendable () -> Date

    /// Creates a sender.
    /// - Parameters:
    ///   - webhookURL: The receiver's base URL, e.g. `http://127.0.0.1:8080`.
    ///   - appSecret: The Meta app secret (signs Instagram deliveries).
    ///   - tiktokClientSecret: The TikTok client secret (signs TikTok deliveries).
    ///   - tiktokClientKey: The TikTok client key, sent as `client_key`.
    ///   - httpClient: The client that POSTs.
    ///   - now: The clock of `time`, `create_time` and `t`; the real time by default, since the
    ///     receiver checks `t` against its own clock even when the world's clock is simulated.
    public init(
        webhookURL: String,
        appSecret: String,
        tiktokClientSecret: String,
        tiktokClientKey: String,
        httpClient: HTTPClient,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var base = webhookURL
        while base.hasSuffix("/") { base.removeLast() }
        self.webhookURL = base
        self.appSecret = appSecret
        self.tiktokClientSecret = tiktokClientSecret
        self.tiktokClientKey = tiktokClientKey
        self.httpClient = httpClient
        self.now = now
    }

    // MARK: Delivering

    /// POSTs a signed Meta delivery with one entry per account id (repeats allowed, as in a batch).
    /// - Parameters:
    ///   - accountIDs: Instagram user ids, one `entry` each.
    ///   - field: The changed field; `comments` carries a comment on `mediaID`.
    ///   - mediaID: The media the change concerns (a stand-in id when nil).
    /// - Returns: The receiver's HTTP status.
    public func deliverInstagram(accountIDs: [String], field: String = "comments", mediaID: String? = nil) async throws -> Int {
        let body = instagramBody(accountIDs: accountIDs, field: field, mediaID: mediaID, time: now())
        return try await post(
            path: "/webhooks/instagram", body: body, signature: ("X-Hub-Signature-256", instagramSignature(body: body)))
    }

    /// POSTs a signed TikTok delivery.
    /// - Parameters:
    ///   - openID: The account's `open_id` (`user_openid`).
    ///   - event: The event name, e.g. `authorization.removed`.
    ///   - content: The inner JSON document, e.g. `{"reason":1}`; sent as a JSON string.
    /// - Returns: The receiver's HTTP status.
    public func deliverTikTok(openID: String, event: String, content: String) async throws -> Int {
        let time = now()
        let body = tiktokBody(openID: openID, event: event, content: content, createTime: time)
        let header = tiktokSignature(body: body, timestamp: Int64(time.timeIntervalSince1970.rounded(.down)))
        return try await post(path: "/webhooks/tiktok", body: body, signature: ("TikTok-Signature", header))
    }

    /// Delivers one `WebhookDelivery`; returns the receiver's HTTP status.
    public func deliver(_ delivery: WebhookDelivery) async throws -> Int {
        switch delivery {
        case .instagram(let accountID, let field, let mediaID):
            try await deliverInstagram(accountIDs: [accountID], field: field, mediaID: mediaID)
        case .tiktok(let openID, let event, let content):
            try await deliverTikTok(openID: openID, event: event, content: content)
        }
    }

    // MARK: Bodies

    /// The Meta body: `{"object":"instagram","entry":[{"id","time","changes":[{"field","value"}]}]}`.
    ///
    /// `comments` and `live_comments` values are `{"id","text","media":{"id"}}` (a comment on the
    /// media); other fields get `{"media_id"}`, as in the `mentions` example. Slashes are escaped
    /// (`\/`) as Meta does, and comment ids are derived from the inputs, so equal inputs give
    /// byte-identical bodies (which is what a redelivery looks like).
    public func instagramBody(accountIDs: [String], field: String = "comments", mediaID: String? = nil, time: Date) -> Data {
        let seconds = Int(time.timeIntervalSince1970.rounded(.down))
        let entries = accountIDs.enumerated().map { index, accountID -> JSONValue in
            let media = mediaID ?? Self.numericID(prefix: "179", from: "media|\(accountID)")
            let value: JSONValue
            if field == "comments" || field == "live_comments" {
                value = .object([
                    ("id", .string(Self.numericID(prefix: "178", from: "comment|\(accountID)|\(media)|\(seconds)|\(index)"))),
                    ("text", .string("Nice post!")),
                    ("media", .object([("id", .string(media))])),
                ])
            } else {
                value = .object([("media_id", .string(media))])
            }
            return .object([
                ("id", .string(accountID)),
                ("time", .int(seconds)),
                ("changes", .array([.object([("field", .string(field)), ("value", value)])])),
            ])
        }
        return JSONValue.object([("object", .string("instagram")), ("entry", .array(entries))]).data(escapeSlashes: true)
    }

    /// The TikTok body: `{"client_key","event","create_time","user_openid","content"}`, with
    /// `content` as a JSON string and `user_openid` omitted when nil (as in `portability.download.ready`).
    public func tiktokBody(openID: String?, event: String, content: String, createTime: Date) -> Data {
        var members: [(String, JSONValue)] = [
            ("client_key", .string(tiktokClientKey)),
            ("event", .string(event)),
            ("create_time", .int(Int(createTime.timeIntervalSince1970.rounded(.down)))),
        ]
        if let openID { members.append(("user_openid", .string(openID))) }
        members.append(("content", .string(content)))
        return JSONValue.object(members).data()
    }

    // MARK: Signatures

    /// `sha256=<lower-case hex HMAC-SHA256(app secret, body)>`.
    public func instagramSignature(body: Data) -> String {
        "sha256=" + Self.hexHMAC(key: appSecret, message: body)
    }

    /// `t=<timestamp>,s=<lower-case hex HMAC-SHA256(client secret, "<timestamp>." + body)>`.
    public func tiktokSignature(body: Data, timestamp: Int64) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return "t=\(timestamp),s=" + Self.hexHMAC(key: tiktokClientSecret, message: message)
    }

    // MARK: Helpers

    private func post(path: String, body: Data, signature: (name: String, value: String)) async throws -> Int {
        var request = HTTPClientRequest(url: webhookURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "postsync-simulator")
        request.headers.add(name: signature.name, value: signature.value)
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await httpClient.execute(request, timeout: .seconds(10))
        // Read the answer to the end (and drop it) so the connection can be reused.
        for try await _ in response.body {}
        return Int(response.status.code)
    }

    private static func hexHMAC(key: String, message: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(key.utf8)))
        return mac.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// A stable, Graph-looking numeric id (`prefix` + 14 digits) derived from `seed`.
    private static func numericID(prefix: String, from seed: String) -> String {
        let digest = SHA256.hash(data: Data(seed.utf8))
        let number = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 100_000_000_000_000
        let digits = String(number)
        return prefix + String(repeating: "0", count: 14 - digits.count) + digits
    }
}
