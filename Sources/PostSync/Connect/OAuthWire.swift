import Foundation

/// An id Meta sends as a JSON string or as a number (`user_id` of the Instagram code exchange is
/// a 17-digit number in some answers and a string in others).
struct FlexibleID: Decodable, Equatable {
    let value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else {
            value = String(try container.decode(UInt64.self))
        }
    }
}

/// The answer of Instagram Login's code exchange (`POST api.instagram.com/oauth/access_token`):
/// `access_token` and `user_id` at the top level, or inside a `data` list as Meta's pages show
/// it; or an error in the old `error_type`/`error_message` shape.
struct InstagramCodeAnswer: Decodable {
    var accessToken: String?
    var userId: FlexibleID?
    var data: [InstagramCodeAnswer]?
    var errorType: String?
    var errorMessage: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case userId = "user_id"
        case data
        case errorType = "error_type"
        case errorMessage = "error_message"
    }

    /// The token and user id, wherever the answer put them.
    var grant: (token: String, userId: String?)? {
        if let accessToken, !accessToken.isEmpty { return (accessToken, userId?.value) }
        return data?.first?.grant
    }
}

/// `{"access_token","token_type","expires_in"}`: `ig_exchange_token`, `fb_exchange_token` and
/// Facebook's code exchange (fixture `long_term_token.json`).
struct MetaTokenAnswer: Decodable {
    var accessToken: String?
    var expiresIn: Int64?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case expiresIn = "expires_in"
    }
}

/// `GET /me?fields=user_id,username` on graph.instagram.com.
struct InstagramMe: Decodable {
    var id: FlexibleID?
    var userId: FlexibleID?
    var username: String?

    enum CodingKeys: String, CodingKey {
        case id
        case userId = "user_id"
        case username
    }
}

/// `GET /me/accounts?fields=access_token,instagram_business_account{id,username}`: the Pages the
/// user granted, each with its token and the Instagram professional account linked to it.
struct FacebookPages: Decodable {
    struct Page: Decodable {
        struct Linked: Decodable {
            var id: FlexibleID
            var username: String?
        }

        var accessToken: String?
        var instagramBusinessAccount: Linked?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case instagramBusinessAccount = "instagram_business_account"
        }
    }

    var data: [Page]
}
