import Foundation

/// A JSON value whose objects keep their keys in insertion order.
///
/// The simulator writes platform bodies by hand from the documented shapes (it shares no
/// `Codable` models with the clients), and key order then matches the documentation examples.
enum JSONValue: Sendable {
    /// A string.
    case string(String)
    /// An integer (Graph and TikTok counts, ids in numbers, timestamps).
    case int(Int)
    /// A floating-point number.
    case double(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An array.
    case array([JSONValue])
    /// An object with its members in order.
    case object([(String, JSONValue)])

    /// Serialises compactly. Meta's Graph API escapes `/` as `\/`, so Instagram bodies pass
    /// `escapeSlashes: true`; TikTok bodies do not escape them.
    func serialized(escapeSlashes: Bool = false) -> String {
        var output = ""
        write(into: &output, escapeSlashes: escapeSlashes)
        return output
    }

    /// The UTF-8 bytes of `serialized(escapeSlashes:)`.
    func data(escapeSlashes: Bool = false) -> Data {
        Data(serialized(escapeSlashes: escapeSlashes).utf8)
    }

    private func write(into output: inout String, escapeSlashes: Bool) {
        switch self {
        case .string(let text):
            Self.writeString(text, into: &output, escapeSlashes: escapeSlashes)
        case .int(let number):
            output += String(number)
        case .double(let number):
            output += number.isFinite ? "\(number)" : "null"
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .null:
            output += "null"
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                item.write(into: &output, escapeSlashes: escapeSlashes)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(member.0, into: &output, escapeSlashes: escapeSlashes)
                output += ":"
                member.1.write(into: &output, escapeSlashes: escapeSlashes)
            }
            output += "}"
        }
    }

    private static func writeString(_ text: String, into output: inout String, escapeSlashes: Bool) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "/" where escapeSlashes: output += "\\/"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }
}
