import Foundation

/// The human form of `postsync posts`: PUBLISHED, ACCOUNT, POST, TYPE, LIKES, COMMENTS, VIEWS,
/// CAPTION. A metric the platform did not give is `—`, never 0.
public enum PostTable {
    /// Captions are cut to this many characters.
    public static let captionLimit = 40

    /// The table, newest first as the API answers.
    public static func render(_ posts: [PostView], style: TerminalStyle, timeZone: TimeZone = .current) -> String {
        let columns = [
            TextTable.Column("PUBLISHED"), TextTable.Column("ACCOUNT"), TextTable.Column("POST"), TextTable.Column("TYPE"),
            TextTable.Column("LIKES", alignment: .right), TextTable.Column("COMMENTS", alignment: .right),
            TextTable.Column("VIEWS", alignment: .right), TextTable.Column("CAPTION"),
        ]
        let rows = posts.map { post -> [TextTable.Cell] in
            [
                TextTable.Cell(post.publishedAt.map { RelativeTime.localMinute($0, timeZone: timeZone) } ?? "—"),
                TextTable.Cell(post.accountId),
                TextTable.Cell(post.postId),
                TextTable.Cell(post.mediaType ?? "—"),
                metricCell(post.likeCount),
                metricCell(post.commentCount),
                metricCell(post.viewCount),
                TextTable.Cell(caption(post.caption)),
            ]
        }
        return TextTable(columns: columns, rows: rows).render(style: style)
    }

    /// A metric's text: the number, or `—` when the platform did not give it.
    public static func metric(_ value: Int64?) -> String {
        value.map { String($0) } ?? "—"
    }

    /// The caption on one line (white space runs collapsed), cut to `limit` characters with `…`;
    /// `—` when there is none.
    public static func caption(_ text: String?, limit: Int = captionLimit) -> String {
        guard let text else { return "—" }
        let words = TerminalStyle.sanitized(text).split(whereSeparator: \.isWhitespace)
        let line = words.joined(separator: " ")
        guard line.count > limit else { return line }
        return String(line.prefix(max(0, limit - 1))) + "…"
    }

    private static func metricCell(_ value: Int64?) -> TextTable.Cell {
        TextTable.Cell(metric(value), tone: value == nil ? .muted : nil)
    }
}
