import Foundation

extension WebhookPayload {
    /// The `entry[].id` strings of a Meta delivery as `JSONScanner` reads them, one list per
    /// envelope; nil when the body holds anything the scanner leaves to `JSONDecoder` (an id
    /// that is a number or null, a repeated key, invalid UTF-8 anywhere, …), which then gives
    /// the same ids or the same error. A webhook benchmark spent a third of the route's CPU in
    /// `JSONDecoder` for the one field read.
    static func scannedInstagramIDs(_ body: Data) -> [[String]]? {
        // JSONDecoder refuses invalid UTF-8 anywhere; the scanner checks only what it reads.
        guard body.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }) != nil else {
            return nil
        }
        return JSONScanner.read(body) { (scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> [[String]] in
            guard scanner.nextIsArray else { return [try scanEnvelope(&scanner)] }
            var envelopes: [[String]] = []
            try scanner.beginArray()
            var first = true
            while try scanner.nextElement(isFirst: &first) { envelopes.append(try scanEnvelope(&scanner)) }
            return envelopes
        }
    }

    private static func scanEnvelope(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> [String] {
        var ids: [String]?
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            guard JSONScanner.key(key, is: "entry") else {
                try scanner.skipValue()
                continue
            }
            guard ids == nil else { throw JSONScanner.Unexpected() }
            var entries: [String] = []
            try scanner.beginArray()
            var firstEntry = true
            while try scanner.nextElement(isFirst: &firstEntry) {
                if let id = try scanEntry(&scanner) { entries.append(id) }
            }
            ids = entries
        }
        guard let ids else { throw JSONScanner.Unexpected() }
        return ids
    }

    /// An entry's id; nil when it has none.
    private static func scanEntry(_ scanner: inout JSONScanner) throws(JSONScanner.Unexpected) -> String? {
        var id: String??
        try scanner.beginObject()
        var first = true
        while let key = try scanner.nextKey(isFirst: &first) {
            guard JSONScanner.key(key, is: "id") else {
                try scanner.skipValue()
                continue
            }
            // A number (or null) is the decoder's to read; so is a repeated key.
            guard id == nil, scanner.nextIsString else { throw JSONScanner.Unexpected() }
            id = .some(try scanner.string())
        }
        return id ?? nil
    }
}
