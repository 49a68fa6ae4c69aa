import Foundation

/// A forward-only reader of JSON bytes, for the two pages every sync run decodes (Instagram's
/// `/media`, TikTok's `/v2/video/list/`).
///
/// Foundation's `JSONDecoder` builds a value tree and goes through `Codable`'s containers: on
/// these pages it was 10–14 % of a steady-state run's CPU. The scanner reads the fields in place
/// instead. It is strict: anything it does not expect (a float where an integer goes, a key
/// with an escape, a lone surrogate, a wrong type) throws `JSONScanner.Unexpected`, and its
/// caller then decodes the same bytes with `JSONDecoder`, which gives the exact result or
/// error. So the scanner only has to be right on the input it accepts (`JSONScannerTests`
/// checks both decoders agree on the recorded fixtures and on generated pages).
struct JSONScanner {
    /// Any input the scanner does not handle; the caller falls back to `JSONDecoder`.
    struct Unexpected: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// Reads `bytes`, which must stay valid while the scanner is used.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Reads all of `data` with `body` (then only whitespace may follow); nil when the scanner
    /// found something unexpected.
    static func read<Value>(_ data: Data, _ body: (inout JSONScanner) throws(Unexpected) -> Value) -> Value? {
        data.withUnsafeBytes { raw -> Value? in
            var scanner = JSONScanner(raw.bindMemory(to: UInt8.self))
            do {
                let value = try body(&scanner)
                try scanner.end()
                return value
            } catch {
                return nil
            }
        }
    }

    /// Whether a key read by `nextKey` is `name`.
    static func key(_ key: UnsafeBufferPointer<UInt8>, is name: StaticString) -> Bool {
        key.count == name.utf8CodeUnitCount && memcmp(key.baseAddress!, name.utf8Start, key.count) == 0
    }

    // MARK: - Structure

    /// Consumes `{`.
    mutating func beginObject() throws(Unexpected) {
        try expect(UInt8(ascii: "{"))
    }

    /// The next key of the object being read (consuming it and its `:`), or nil after its `}`.
    /// The key's bytes are valid as long as the input; keys with escapes are not handled.
    /// Call `beginObject` first, with `isFirst` true, and read or skip each key's value before
    /// asking again.
    mutating func nextKey(isFirst wasFirst: inout Bool) throws(Unexpected) -> UnsafeBufferPointer<UInt8>? {
        skipWhitespace()
        guard index < bytes.count else { throw Unexpected() }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return nil
        }
        try separator(isFirst: &wasFirst)
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Unexpected() }
        index += 1
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\") || bytes[index] < 0x20 { throw Unexpected() }
            index += 1
        }
        guard index < bytes.count else { throw Unexpected() }
        let key = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Consumes `[`.
    mutating func beginArray() throws(Unexpected) {
        try expect(UInt8(ascii: "["))
    }

    /// Whether another element follows in the array being read (consuming the `,` before it),
    /// false after its `]`. `isFirst` starts true for each array.
    mutating func nextElement(isFirst: inout Bool) throws(Unexpected) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw Unexpected() }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return false
        }
        try separator(isFirst: &isFirst)
        return true
    }

    // The `,` before every member or element but the first.
    private mutating func separator(isFirst: inout Bool) throws(Unexpected) {
        if isFirst {
            isFirst = false
        } else {
            try expect(UInt8(ascii: ","))
        }
    }

    /// Consumes `null` if it is next; the value is then absent (as `decodeIfPresent` reads it).
    mutating func takeNull() throws(Unexpected) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    /// Checks that nothing but whitespace is left.
    mutating func end() throws(Unexpected) {
        skipWhitespace()
        if index != bytes.count { throw Unexpected() }
    }

    // MARK: - Values

    /// A string value, escapes decoded; invalid UTF-8 and lone surrogates are unexpected.
    mutating func string() throws(Unexpected) -> String {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Unexpected() }
        index += 1
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                guard let text else { throw Unexpected() }
                return text
            }
            if byte == UInt8(ascii: "\\") {
                index = start
                return try escapedString()
            }
            if byte < 0x20 { throw Unexpected() }
            index += 1
        }
        throw Unexpected()
    }

    /// A string, or nil for `null`.
    mutating func optionalString() throws(Unexpected) -> String? {
        try takeNull() ? nil : try string()
    }

    /// An integer, or nil for `null`.
    mutating func optionalInt64() throws(Unexpected) -> Int64? {
        try takeNull() ? nil : try int64()
    }

    /// Whether the next value is a string.
    var nextIsString: Bool {
        mutating get {
            skipWhitespace()
            return index < bytes.count && bytes[index] == UInt8(ascii: "\"")
        }
    }

    /// Whether the next value is an array.
    var nextIsArray: Bool {
        mutating get {
            skipWhitespace()
            return index < bytes.count && bytes[index] == UInt8(ascii: "[")
        }
    }

    /// An integer value that fits in `Int64`; fractions and exponents are unexpected (the caller's
    /// fallback rounds those as the platform's lenient number rules say).
    mutating func int64() throws(Unexpected) -> Int64 {
        skipWhitespace()
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 {
            let (times10, over1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, over2) = times10.addingReportingOverflow(UInt64(bytes[index] &- UInt8(ascii: "0")))
            if over1 || over2 { throw Unexpected() }
            magnitude = sum
            index += 1
        }
        let digits = index - start
        // No digits, a leading zero (JSON forbids `01`), or a fraction or exponent next.
        guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { throw Unexpected() }
        if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
            throw Unexpected()
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Unexpected() }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw Unexpected() }
        return Int64(magnitude)
    }

    /// `true` or `false`.
    mutating func bool() throws(Unexpected) -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw Unexpected() }
        if bytes[index] == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// Skips one value of any type (checking its syntax, not the UTF-8 of its strings).
    mutating func skipValue() throws(Unexpected) {
        skipWhitespace()
        guard index < bytes.count else { throw Unexpected() }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try beginObject()
            var first = true
            while try nextKey(isFirst: &first) != nil { try skipValue() }
        case UInt8(ascii: "["):
            try beginArray()
            var first = true
            while try nextElement(isFirst: &first) { try skipValue() }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            try skipNumber()
        }
    }

    // MARK: - Private

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Unexpected) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { throw Unexpected() }
        index += 1
    }

    private mutating func literal(_ word: StaticString) throws(Unexpected) {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw Unexpected() }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] { throw Unexpected() }
        index += count
    }

    private mutating func skipString() throws(Unexpected) {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 2
            case 0..<0x20:
                throw Unexpected()
            default:
                index += 1
            }
        }
        throw Unexpected()
    }

    // JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func skipNumber() throws(Unexpected) {
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard try skipDigits() > 0 else { throw Unexpected() }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard try skipDigits() > 0 else { throw Unexpected() }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard try skipDigits() > 0 else { throw Unexpected() }
        }
    }

    private mutating func skipDigits() throws(Unexpected) -> Int {
        let start = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
        return index - start
    }

    /// The slow path of `string()`, from the opening quote's next byte: a string with escapes
    /// (Meta escapes every `/` of a URL). The bytes go into one buffer,
    /// plain runs copied whole and each escape as its UTF-8, and the buffer is validated once at
    /// the end: a run of invalid UTF-8 stays invalid next to an escape, whose encoding is
    /// complete on both ends. (Appending scalar by scalar to a `String` was 4 % of a steady
    /// run's CPU.)
    private mutating func escapedString() throws(Unexpected) -> String {
        var utf8: [UInt8] = []
        var run = index  // start of the bytes not yet copied
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                utf8.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                index += 1
                guard let text = String(validating: utf8, as: UTF8.self) else { throw Unexpected() }
                return text
            }
            if byte < 0x20 { throw Unexpected() }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            if utf8.isEmpty { utf8.reserveCapacity(min(bytes.count - run, 256)) }
            utf8.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
            guard index + 1 < bytes.count else { throw Unexpected() }
            let escape = bytes[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                let unit = try hex4()
                let scalar: Unicode.Scalar?
                if (0xD800..<0xDC00).contains(unit) {
                    // A high surrogate must be followed by `\u` and a low one.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    else { throw Unexpected() }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw Unexpected() }
                    scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
                } else {
                    scalar = Unicode.Scalar(UInt32(unit))
                }
                guard let scalar else { throw Unexpected() }
                utf8.append(contentsOf: scalar.utf8)
            default:
                throw Unexpected()
            }
            run = index
        }
        throw Unexpected()
    }

    private mutating func hex4() throws(Unexpected) -> UInt16 {
        guard bytes.count - index >= 4 else { throw Unexpected() }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Unexpected()
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }
}
