import Foundation

/// The JSON coding of the control API and the listener: RFC 3339 millisecond dates, sorted keys
/// (stable for people and diffs).
public enum ControlJSON {
    /// The encoder.
    public static var encoder: JSONEncoder {
        let encoder = JSONCoding.encoder()
        encoder.outputFormatting.insert(.sortedKeys)
        return encoder
    }
}
