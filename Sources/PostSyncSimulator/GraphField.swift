import Foundation

/// One entry of a Graph API `fields` parameter, e.g. `caption` or `children{id,media_type}`.
struct GraphField: Sendable, Equatable {
    /// Field name.
    var name: String
    /// Sub-fields of an expanded edge (`children{…}`), empty otherwise.
    var subfields: [String]

    /// Splits a `fields` value at top-level commas (commas inside `{…}` belong to the sub-field
    /// list), dropping empty entries and duplicates while keeping the requested order.
    static func parse(_ text: String?) -> [GraphField] {
        guard let text else { return [] }
        var fields: [GraphField] = []
        var current = ""
        var depth = 0
        func flush() {
            let entry = current.trimmingCharacters(in: .whitespaces)
            current = ""
            guard !entry.isEmpty else { return }
            let field: GraphField
            if let open = entry.firstIndex(of: "{") {
                let name = String(entry[..<open])
                let inner = entry[entry.index(after: open)...].filter { $0 != "}" }
                let subs = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                field = GraphField(name: name, subfields: subs)
            } else {
                field = GraphField(name: entry, subfields: [])
            }
            if !fields.contains(where: { $0.name == field.name }) { fields.append(field) }
        }
        for character in text {
            switch character {
            case "{":
                depth += 1
                current.append(character)
            case "}":
                depth = max(0, depth - 1)
                current.append(character)
            case "," where depth == 0: flush()
            default: current.append(character)
            }
        }
        flush()
        return fields
    }
}
