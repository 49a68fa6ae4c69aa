import Foundation
import Yams

/// One mapping of the config file, read key by key with typed, validated accessors. Creating it
/// rejects every key not in the section's list, so a typo (`sync.intervall`) is an error that
/// names the key instead of a silently ignored setting.
///
/// A key whose value is YAML null (`key:`, `key: ~`, `key: null`) counts as not set, so a section
/// whose keys are all commented out is the same as a missing section.
struct ConfigurationFields {
    /// The dotted path of this mapping; empty for the top level.
    let path: String
    /// The keys this section has a non-null value for.
    private let values: [String: Yams.Node]

    /// Reads `node` (nil or YAML null: an empty section) as a mapping with the given keys.
    init(_ node: Yams.Node?, path: String, keys: [String]) throws(ConfigurationError) {
        self.path = path
        guard let node, node.null == nil else {
            values = [:]
            return
        }
        guard let mapping = node.mapping else {
            let what = path.isEmpty ? "the file" : "this section"
            throw ConfigurationError(
                key: path,
                message: "\(what) must be a mapping of keys (\(keys.joined(separator: ", ")))"
            )
        }
        var values: [String: Yams.Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw ConfigurationError(key: path, message: "keys must be plain names, not mappings or lists")
            }
            let dotted = path.isEmpty ? key : "\(path).\(key)"
            guard keys.contains(key) else {
                let section = path.isEmpty ? "top-level keys" : "keys in \(path)"
                throw ConfigurationError(
                    key: dotted,
                    message: "unknown key (valid \(section): \(keys.joined(separator: ", ")))"
                )
            }
            if value.null == nil { values[key] = value }
        }
        self.values = values
    }

    /// The dotted path of `key` in this section, for error messages.
    func dotted(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// Whether the file sets `key` (to something other than null).
    func has(_ key: String) -> Bool {
        values[key] != nil
    }

    /// The nested section under `key`, with its own list of valid keys.
    func section(_ key: String, keys: [String]) throws(ConfigurationError) -> ConfigurationFields {
        try ConfigurationFields(values[key], path: dotted(key), keys: keys)
    }

    /// The text of a scalar value, as written (quotes removed); nil when not set.
    func text(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = values[key] else { return nil }
        guard let scalar = node.scalar else {
            let kind = node.mapping != nil ? "a mapping" : "a list"
            throw ConfigurationError(key: dotted(key), message: "must be a single value, not \(kind)")
        }
        return scalar.string
    }

    /// A non-empty string (surrounding white space removed).
    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try text(key) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ConfigurationError(key: dotted(key), message: "must not be empty")
        }
        return trimmed
    }

    /// A duration such as `30s`, `15m`, `6h` or `7d`, greater than zero.
    func duration(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let text = try text(key) else { return nil }
        guard let duration = DurationText.parse(text) else {
            throw ConfigurationError(
                key: dotted(key),
                message: "\(quoted(text)) is not a duration (use 30s, 15m, 6h or 7d)"
            )
        }
        guard duration > .zero else {
            throw ConfigurationError(key: dotted(key), message: "must be greater than 0s")
        }
        return duration
    }

    /// A whole number no smaller than `minimum`.
    func integer(_ key: String, minimum: Int) throws(ConfigurationError) -> Int? {
        guard let text = try text(key) else { return nil }
        guard let value = Int(text) else {
            throw ConfigurationError(key: dotted(key), message: "\(quoted(text)) is not a whole number")
        }
        guard value >= minimum else {
            throw ConfigurationError(key: dotted(key), message: "must be at least \(minimum), not \(value)")
        }
        return value
    }

    /// A finite number in `range` (half-open, as for a jitter fraction).
    func number(_ key: String, in range: Range<Double>) throws(ConfigurationError) -> Double? {
        guard let text = try text(key) else { return nil }
        // Double(_:) also takes "nan" and "inf"; neither is a meaningful setting.
        guard let value = Double(text), value.isFinite else {
            throw ConfigurationError(key: dotted(key), message: "\(quoted(text)) is not a number")
        }
        guard range.contains(value) else {
            throw ConfigurationError(
                key: dotted(key),
                message: "must be at least \(plain(range.lowerBound)) and less than \(plain(range.upperBound)), "
                    + "not \(text)"
            )
        }
        return value
    }

    /// `true` or `false` (YAML 1.1 spellings `yes`/`no`/`on`/`off` too, as YAML users expect).
    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let text = try text(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            throw ConfigurationError(key: dotted(key), message: "\(quoted(text)) is not true or false")
        }
    }

    /// A size such as `1048576`, `512KiB`, `64MiB` or `1GiB`, greater than zero.
    func byteSize(_ key: String) throws(ConfigurationError) -> Int64? {
        guard let text = try text(key) else { return nil }
        guard let bytes = ByteSizeText.parse(text) else {
            throw ConfigurationError(
                key: dotted(key),
                message: "\(quoted(text)) is not a size (use a whole number of bytes, or KiB, MiB or GiB)"
            )
        }
        guard bytes > 0 else {
            throw ConfigurationError(key: dotted(key), message: "must be greater than 0")
        }
        return bytes
    }

    /// An `http://` or `https://` base URL with a host; trailing slashes are removed so that
    /// callers can append `/v23.0/...` paths.
    func baseURL(_ key: String) throws(ConfigurationError) -> String? {
        guard var text = try string(key) else { return nil }
        let lowered = text.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"),
            let host = URLComponents(string: text)?.host, !host.isEmpty
        else {
            throw ConfigurationError(
                key: dotted(key),
                message: "\(quoted(text)) is not an http:// or https:// URL with a host"
            )
        }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// An absolute `http://` or `https://` URL, kept as written (an authorize URL's trailing
    /// slash is part of it).
    func absoluteURL(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key) else { return nil }
        let lowered = text.lowercased()
        guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"),
            let components = URLComponents(string: text), let host = components.host, !host.isEmpty,
            components.fragment == nil
        else {
            throw ConfigurationError(
                key: dotted(key), message: "\(quoted(text)) is not an http:// or https:// URL with a host")
        }
        return text
    }

    /// An OAuth redirect URI (`RedirectURI.parse` says what is accepted).
    func redirectURI(_ key: String) throws(ConfigurationError) -> RedirectURI? {
        guard let text = try string(key) else { return nil }
        switch RedirectURI.parse(text) {
        case .success(let uri): return uri
        case .failure(let error): throw ConfigurationError(key: dotted(key), message: error.description)
        }
    }

    /// A non-empty list of plain names (`[a, b]`, or one comma-separated string `a,b`), each
    /// without white space or commas.
    func list(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let node = values[key] else { return nil }
        let items: [String]
        if let sequence = node.sequence {
            var texts: [String] = []
            for item in sequence {
                guard let scalar = item.scalar else {
                    throw ConfigurationError(key: dotted(key), message: "must be a list of names, not of mappings or lists")
                }
                texts.append(scalar.string.trimmingCharacters(in: .whitespaces))
            }
            items = texts
        } else if let text = try self.text(key) {
            items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } else {
            items = []
        }
        guard !items.isEmpty else { throw ConfigurationError(key: dotted(key), message: "must not be empty") }
        for item in items where item.isEmpty || item.contains(where: { $0.isWhitespace || $0 == "," }) {
            throw ConfigurationError(key: dotted(key), message: "\(quoted(item)) is not a plain name")
        }
        return items
    }

    /// A bound as a user would write it: `1`, not `1.0`.
    private func plain(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// The text in double quotes, the way error messages show a user's value.
    private func quoted(_ text: String) -> String {
        "\"\(text)\""
    }
}
