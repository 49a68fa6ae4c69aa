import Foundation

extension SyncLogEntry {
    /// The entry as one JSON object with the keys in CONTRACT section 6's order, no trailing
    /// newline. Hand-written rather than `JSONEncoder` so the key order is stable for people
    /// reading the file, and so the hot path of the single writer stays cheap.
    public func jsonLine() -> String {
        var out = "{\"seq\":\(seq),\"id\":"
        JSONText.appendString(id, to: &out)
        out += ",\"accountId\":"
        JSONText.appendString(accountId, to: &out)
        out += ",\"platform\":\"\(platform.rawValue)\",\"trigger\":\"\(trigger.rawValue)\""
        out += ",\"postsFound\":\(postsFound),\"postsSynced\":\(postsSynced),\"status\":\"\(status.rawValue)\""
        out += ",\"errorMessage\":"
        if let errorMessage { JSONText.appendString(errorMessage, to: &out) } else { out += "null" }
        out += ",\"duration\":\(duration),\"createdAt\":\"\(Timestamp.format(createdAt))\""
        out += ",\"startedAt\":\"\(Timestamp.format(startedAt))\",\"apiCalls\":\(apiCalls)"
        out += ",\"tokenRefreshed\":\(tokenRefreshed),\"attempt\":\(attempt)}"
        return out
    }
}

/// JSON string escaping (RFC 8259).
enum JSONText {
    /// Appends `text` as a quoted JSON string.
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(s.value, radix: 16).count) + String(s.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
