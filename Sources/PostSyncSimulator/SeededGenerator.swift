/// A small, fast, seedable pseudo-random generator (SplitMix64).
///
/// The simulator never uses `SystemRandomNumberGenerator` for generated data: the same seed must
/// give the same accounts, posts, tokens and fault rolls on every machine and every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator whose whole output is determined by `seed`.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Returns the next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 finaliser; also used on its own to hash counters into ids.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly distributed integer in `range`.
    ///
    /// Written out instead of `Int.random(in:using:)` so the sequence does not depend on the
    /// standard library's sampling algorithm (the tiny modulo bias does not matter here).
    mutating func int(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) &+ 1
        if width == 0 { return Int(truncatingIfNeeded: next()) }
        return range.lowerBound + Int(next() % width)
    }

    /// A double in `0 ..< 1` with 53 bits of precision.
    mutating func unit() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// One element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T {
        items[int(in: 0...(items.count - 1))]
    }

    /// `count` lowercase hexadecimal characters.
    mutating func hex(_ count: Int) -> String {
        var text = ""
        while text.count < count {
            text += Self.hex64(next())
        }
        return String(text.prefix(count))
    }

    /// `count` characters of the URL-safe base64 alphabet (as in Instagram shortcodes and trace ids).
    mutating func base64URL(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var text = ""
        for _ in 0..<count {
            text.append(alphabet[Int(next() % 64)])
        }
        return text
    }

    /// 16 zero-padded lowercase hex digits of `value`.
    static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension SeededGenerator {
    /// A stable 64-bit FNV-1a hash of a string (Swift's `hashValue` changes per process, this does not).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
