import Foundation

/// Decodes webhook bodies, after their signature has been verified, into what the daemon acts on.
///
/// Neither platform notifies a new native post, so a webhook is only a hint: which account to
/// sync now. Decoding therefore keeps the few fields that name an account and is lenient about
/// everything else, so that a new or odd field never drops a delivery.
public enum WebhookPayload {
    /// The distinct `entry[].id` values of a Meta (`"object":"instagram"`) delivery, in
    /// first-seen order.
    ///
    /// Works for `changes` entries (`comments`, `mentions`, `story_insights`, …) and `messaging`
    /// entries alike, since both carry the Instagram account id in `entry[].id`. Ids may arrive as
    /// strings or numbers. A body wrapped in `[ … ]` (as on Meta's example pages) is accepted, and
    /// an entry without a usable id is skipped rather than failing the whole batch of up to
    /// 1,000 entries.
    /// - Throws: `DecodingError` when the body is not a JSON object with an `entry` array.
    public static func instagramAccountIDs(_ body: Data) throws -> [String] {
        var seen = Set<String>()
        var ids: [String] = []
        for envelope in try scannedInstagramIDs(body) ?? decodedInstagramIDs(body) {
            for id in envelope {
                guard !id.isEmpty, seen.insert(id).inserted else { continue }
                ids.append(id)
            }
        }
        return ids
    }

    /// The ids of each envelope's entries as `JSONDecoder` reads them (entries without a usable
    /// id left out).
    static func decodedInstagramIDs(_ body: Data) throws -> [[String]] {
        let decoder = JSONDecoder()
        let envelopes: [MetaEnvelope]
        if let first = body.first(where: { !isJSONWhitespace($0) }), first == UInt8(ascii: "[") {
            envelopes = try decoder.decode([MetaEnvelope].self, from: body)
        } else {
            envelopes = [try decoder.decode(MetaEnvelope.self, from: body)]
        }
        return envelopes.map { $0.entry.compactMap { $0.id?.text } }
    }

    /// Decodes a TikTok delivery, then its `content` (a JSON document inside a JSON string).
    ///
    /// Only `event` is required. An absent or unparseable `content` leaves
    /// `TikTokWebhookEvent.content` nil: the daemon acts on `event` and `user_openid` alone.
    /// - Throws: `DecodingError` when the body is not a JSON object with a string `event`.
    public static func tiktokEvent(_ body: Data) throws -> TikTokWebhookEvent {
        let wire = try JSONDecoder().decode(TikTokWire.self, from: body)
        return TikTokWebhookEvent(
            clientKey: wire.clientKey ?? "",
            event: wire.event,
            createTime: wire.createTime?.int64 ?? 0,
            userOpenID: wire.userOpenID.flatMap { $0.isEmpty ? nil : $0 },
            content: wire.content
        )
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

// MARK: Wire shapes

/// `{"object": "instagram", "entry": [ … ]}`.
private struct MetaEnvelope: Decodable {
    var entry: [MetaEntry]
}

/// One `entry[]`; only its id matters here.
private struct MetaEntry: Decodable {
    var id: FlexibleText?

    private enum CodingKeys: String, CodingKey { case id }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // A malformed id skips this entry, not the batch.
        id = try? container.decodeIfPresent(FlexibleText.self, forKey: .id)
    }
}

/// The TikTok envelope: `client_key`, `event`, `create_time`, `user_openid`, `content`.
private struct TikTokWire: Decodable {
    var clientKey: String?
    var event: String
    var createTime: FlexibleText?
    var userOpenID: String?
    var content: TikTokWebhookEvent.Content?

    private enum CodingKeys: String, CodingKey {
        case clientKey = "client_key"
        case event
        case createTime = "create_time"
        case userOpenID = "user_openid"
        case content
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        event = try container.decode(String.self, forKey: .event)
        clientKey = try? container.decodeIfPresent(String.self, forKey: .clientKey)
        createTime = try? container.decodeIfPresent(FlexibleText.self, forKey: .createTime)
        userOpenID = try? container.decodeIfPresent(String.self, forKey: .userOpenID)
        if let text = try? container.decodeIfPresent(String.self, forKey: .content) {
            // The documented form: a serialised JSON object inside a string.
            content = try? JSONDecoder().decode(TikTokWebhookEvent.Content.self, from: Data(text.utf8))
        } else {
            // Defensive: an object where the docs promise a string.
            content = try? container.decodeIfPresent(TikTokWebhookEvent.Content.self, forKey: .content)
        }
    }
}

/// A JSON string or integer, kept as text (ids and timestamps arrive as either).
struct FlexibleText: Decodable, Sendable, Equatable {
    /// The value as text.
    var text: String

    /// Decodes a string, or an integer (signed or not) as its decimal text.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let number = try? container.decode(Int64.self) {
            text = String(number)
        } else {
            text = String(try container.decode(UInt64.self))
        }
    }

    /// The value as a number, when it is one.
    var int64: Int64? { Int64(text) }
}
