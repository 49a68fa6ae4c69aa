import Foundation

// The Graph API's JSON shapes, as recorded in ../shared/fixtures/instagram. Decoding is lenient
// where Meta is: every field but `id` may be missing, numbers may come as floats.

/// One page of `GET /{ig-user-id}/media`.
struct GraphMediaPage: Decodable, Equatable {
    var data: [GraphMedia]
    var paging: Paging?

    struct Paging: Decodable, Equatable {
        var next: String?
    }
}

/// One IG Media object with the fields `postsync` asks for.
struct GraphMedia: Decodable, Equatable {
    var id: String
    var caption: String?
    var mediaType: String?
    var mediaProductType: String?
    var permalink: String?
    var timestamp: String?
    var likeCount: FlexibleInt?
    var commentsCount: FlexibleInt?

    enum CodingKeys: String, CodingKey {
        case id, caption, permalink, timestamp
        case mediaType = "media_type"
        case mediaProductType = "media_product_type"
        case likeCount = "like_count"
        case commentsCount = "comments_count"
    }
}

/// `GET /{media-id}/insights`.
struct GraphInsights: Decodable {
    var data: [Metric]

    struct Metric: Decodable {
        var name: String
        var values: [Value]?
        var totalValue: Value?

        enum CodingKeys: String, CodingKey {
            case name, values
            case totalValue = "total_value"
        }

        /// `total_value.value` when present, else `values[0].value` (reference/instagram.md §2.5).
        var value: Int64? { totalValue?.value?.value ?? values?.first?.value?.value }
    }

    struct Value: Decodable {
        var value: FlexibleInt?
    }
}

/// `GET /refresh_access_token`.
struct GraphTokenAnswer: Decodable {
    var accessToken: String
    var tokenType: String?
    var expiresIn: FlexibleInt?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
    }
}

/// `{"error":{…}}`, Meta's error envelope.
struct GraphErrorEnvelope: Decodable {
    var error: GraphError
}

/// Meta's error object; only `code` is relied on.
struct GraphError: Decodable, Equatable {
    var message: String?
    var type: String?
    var code: Int
    var errorSubcode: Int?
    var isTransient: Bool?
    var errorUserTitle: String?

    enum CodingKeys: String, CodingKey {
        case message, type, code
        case errorSubcode = "error_subcode"
        case isTransient = "is_transient"
        case errorUserTitle = "error_user_title"
    }
}

/// An integer that the platform may send as a JSON integer, a float or a numeric string.
struct FlexibleInt: Decodable, Equatable {
    var value: Int64

    init(value: Int64) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let int = try? container.decode(Int64.self) {
            value = int
        } else if let double = try? container.decode(Double.self), let rounded = Int64(exactly: double.rounded()) {
            // `exactly`: a number beyond Int64 (or NaN) is malformed, not a trap.
            value = rounded
        } else if let text = try? container.decode(String.self), let int = Int64(text) {
            value = int
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a number")
        }
    }
}
