/// A plain-text table with a header row and columns as wide as their widest cell, two spaces
/// apart (the look of `docker ps` and `systemctl list-units`). Colour is applied after padding,
/// so escape codes never upset the alignment.
public struct TextTable: Sendable {
    /// Where a cell's text sits in its column.
    public enum Alignment: Sendable {
        /// Text columns.
        case left
        /// Number columns.
        case right
    }

    /// One column.
    public struct Column: Sendable {
        /// The header, upper case by convention.
        public var title: String
        /// How cells are aligned.
        public var alignment: Alignment

        /// Creates a column.
        public init(_ title: String, alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    /// One cell: its text and the tone it is painted in.
    public struct Cell: Sendable, ExpressibleByStringLiteral {
        /// The text, already free of control characters.
        public var text: String
        /// The colour's meaning, if any.
        public var tone: TerminalStyle.Tone?

        /// Creates a cell; control characters in `text` become spaces.
        public init(_ text: String, tone: TerminalStyle.Tone? = nil) {
            self.text = TerminalStyle.sanitized(text)
            self.tone = tone
        }

        /// A plain cell from a literal.
        public init(stringLiteral value: String) {
            self.init(value)
        }
    }

    /// The columns.
    public var columns: [Column]
    /// The rows; a row shorter than `columns` is padded with empty cells.
    public var rows: [[Cell]]

    /// Creates a table.
    public init(columns: [Column], rows: [[Cell]] = []) {
        self.columns = columns
        self.rows = rows
    }

    /// The header and the rows, one line each, joined by `\n` (no trailing newline). The last
    /// column is not padded, so lines carry no trailing spaces.
    public func render(style: TerminalStyle) -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (index, cell) in row.prefix(columns.count).enumerated() {
                widths[index] = max(widths[index], cell.text.count)
            }
        }
        var lines: [String] = []
        lines.reserveCapacity(rows.count + 1)
        lines.append(line(columns.map { Cell($0.title) }, widths: widths, style: .plain))
        for row in rows {
            lines.append(line(row, widths: widths, style: style))
        }
        return lines.joined(separator: "\n")
    }

    private func line(_ row: [Cell], widths: [Int], style: TerminalStyle) -> String {
        var parts: [String] = []
        parts.reserveCapacity(columns.count)
        for (index, column) in columns.enumerated() {
            let cell = index < row.count ? row[index] : Cell("")
            let gap = String(repeating: " ", count: max(0, widths[index] - cell.text.count))
            let painted = style.paint(cell.text, cell.tone)
            let isLast = index == columns.count - 1
            switch column.alignment {
            case .left: parts.append(isLast ? painted : painted + gap)
            case .right: parts.append(gap + painted)
            }
        }
        var text = parts.joined(separator: "  ")
        // A left-aligned empty last cell would leave the separator dangling.
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
