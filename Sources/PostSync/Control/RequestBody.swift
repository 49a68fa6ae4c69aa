import Foundation

/// Strict decoding of control API bodies: malformed JSON, wrong types and unknown fields are a
/// 400 whose message names the field, and nothing changes.
enum RequestBody {
    /// The JSON kinds a field may have.
    enum Kind: String {
        case string, bool, timestamp
    }

    /// Decodes `data` as `T` after checking every field against `fields`.
    /// - Throws: `ControlError.invalidRequest`.
    static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, fields: [String: Kind], required: Set<String> = []
    ) throws(ControlError) -> T {
        let body = data.isEmpty ? Data("{}".utf8) : data
        let object: [String: JSONValue]
        do {
            guard case .object(let parsed) = try JSONDecoder().decode(JSONValue.self, from: body) else {
                throw ControlError.invalidRequest("body: must be a JSON object")
            }
            object = parsed
        } catch let error as ControlError {
            throw error
        } catch {
            throw .invalidRequest("body: malformed JSON")
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard let kind = fields[key] else {
                throw .invalidRequest("\(key): unknown field (known: \(fields.keys.sorted().joined(separator: ", ")))")
            }
            switch (kind, value) {
            case (_, .null), (.string, .string), (.bool, .bool): continue
            case (.timestamp, .string(let text)) where Timestamp.parse(text) != nil: continue
            case (.string, _): throw .invalidRequest("\(key): must be a string")
            case (.bool, _): throw .invalidRequest("\(key): must be true or false")
            case (.timestamp, _): throw .invalidRequest("\(key): must be an RFC 3339 timestamp like 2026-11-29T01:02:03.456Z")
            }
        }
        for key in required.sorted() where object[key] == nil || object[key] == .null {
            throw .invalidRequest("\(key): required")
        }
        do {
            return try JSONCoding.decoder().decode(T.self, from: body)
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidRequest("\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw .invalidRequest("body: \(DecodingErrorText.describe(error))")
        }
    }
}
