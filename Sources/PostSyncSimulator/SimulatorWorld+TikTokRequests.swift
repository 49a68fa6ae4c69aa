import Foundation

/// A request the simulator refuses, carrying the platform's error answer (lets parsing helpers
/// return `Result`).
struct RejectedRequest: Error {
    /// The answer to send.
    var answer: SimulatorHTTPResponse
}

extension SimulatorWorld {
    /// Body of `/v2/video/list/`; both keys are optional.
    struct ListBody: Decodable {
        /// `max_count`: page size, 1...20, default 10.
        var maxCount: Int?
        /// `cursor`: only videos created before this UTC time in milliseconds.
        var cursor: Int64?

        private enum CodingKeys: String, CodingKey {
            case maxCount = "max_count"
            case cursor
        }
    }

    /// Body of `/v2/video/query/`.
    struct QueryBody: Decodable {
        /// `filters`.
        struct Filters: Decodable {
            /// `video_ids`: at most 20.
            var videoIds: [String]?

            private enum CodingKeys: String, CodingKey {
                case videoIds = "video_ids"
            }
        }

        /// `filters`; required.
        var filters: Filters?
    }

    /// Decodes a JSON body; an empty body decodes as `{}`. Nil when the body is not valid.
    static func decodeBody<Body: Decodable>(_ type: Body.Type, from data: Data) -> Body? {
        let isBlank = data.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        return try? JSONDecoder().decode(type, from: isBlank ? Data("{}".utf8) : data)
    }

    /// The `fields` query parameter: required, and every name must be one TikTok documents.
    func tiktokFields(_ request: SimulatorHTTPRequest, allowed: Set<String>) -> Result<[String], RejectedRequest> {
        var fields: [String] = []
        for name in (request.query["fields"] ?? "").split(separator: ",") {
            let field = name.trimmingCharacters(in: .whitespaces)
            if !field.isEmpty, !fields.contains(field) { fields.append(field) }
        }
        guard !fields.isEmpty else {
            return .failure(
                RejectedRequest(answer: TikTokResponses.invalidParams("The fields parameter is required.", logId: nextLogId())))
        }
        if let unknown = fields.first(where: { !allowed.contains($0) }) {
            return .failure(
                RejectedRequest(answer: TikTokResponses.invalidParams("Invalid field: \(unknown).", logId: nextLogId())))
        }
        return .success(fields)
    }
}
