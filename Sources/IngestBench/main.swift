import Foundation
import PostSync

// The store's ingest, measured beside a raw batched sqlite3 insert of the same rows (issue 14;
// `scripts/bench-scale.sh` runs both in one run). The rows are the posts a cold sync stored,
// read back as JSON lines; they go into a fresh SQLite store through the daemon's own
// `SQLiteStore.ingest`, one page of an account at a time and with the page's digest, as a sync
// run stores them (posts upserted, a metric row for each new post, the digest in the account's
// row). Decoding the file is not timed. Prints the rows ingested per second.

let usage = """
    usage: IngestBench --rows FILE --database PATH [--page N]

      --rows      JSON lines {"platform","postId","accountId","caption","mediaType","permalink",
                  "publishedAt" (Unix seconds),"likeCount","commentCount","viewCount","shareCount",
                  "saveCount","reach"}, an account's posts together
      --database  the SQLite file to create (it must not exist)
      --page      posts per ingest, at most (50, as the raw insert batches them)
    """

/// One stored post, as `scripts/bench-scale.sh` dumps it.
struct Row: Decodable {
    var platform: String
    var postId: String
    var accountId: String
    var caption: String?
    var mediaType: String?
    var permalink: String?
    var publishedAt: Double?
    var likeCount: Int64?
    var commentCount: Int64?
    var viewCount: Int64?
    var shareCount: Int64?
    var saveCount: Int64?
    var reach: Int64?

    /// The post as a platform client hands it to the store; the metrics it has are the ones
    /// the platform gave.
    var post: FetchedPost {
        let metrics = PostMetrics(
            likeCount: likeCount, commentCount: commentCount, viewCount: viewCount, shareCount: shareCount,
            saveCount: saveCount, reach: reach)
        var coverage: MetricCoverage = []
        for (value, kind) in [
            (likeCount, MetricCoverage.likes), (commentCount, .comments), (viewCount, .views), (shareCount, .shares),
            (saveCount, .saves), (reach, .reach),
        ] where value != nil { coverage.insert(kind) }
        return FetchedPost(
            postID: postId, caption: caption, mediaType: mediaType, permalink: permalink,
            publishedAt: publishedAt.map { Date(timeIntervalSince1970: $0) }, metrics: metrics, coverage: coverage)
    }
}

func option(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let rowsPath = option("--rows", in: arguments), let databasePath = option("--database", in: arguments),
    let pageSize = Int(option("--page", in: arguments) ?? "50"), pageSize > 0
else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(2)
}
guard !FileManager.default.fileExists(atPath: databasePath) else {
    FileHandle.standardError.write(Data("IngestBench: \(databasePath) exists\n".utf8))
    exit(2)
}

// Pages of consecutive rows of one account.
let decoder = JSONDecoder()
var pages: [(account: AccountID, posts: [FetchedPost])] = []
var accounts: [AccountID] = []
var rows = 0
for line in try String(contentsOfFile: rowsPath, encoding: .utf8).split(separator: "\n") {
    let row = try decoder.decode(Row.self, from: Data(line.utf8))
    guard let platform = Platform(rawValue: row.platform), let account = AccountID(row.accountId),
        account.platform == platform
    else {
        FileHandle.standardError.write(Data("IngestBench: bad row \(line.prefix(80))\n".utf8))
        exit(1)
    }
    if pages.last?.account != account { accounts.append(account) }
    if pages.last?.account == account, let last = pages.last, last.posts.count < pageSize {
        pages[pages.count - 1].posts.append(row.post)
    } else {
        pages.append((account, [row.post]))
    }
    rows += 1
}

let store = try SQLiteStore(path: databasePath)
let now = Date()
try await store.insertAccounts(accounts.map { AccountRecord(id: $0, accessToken: "bench", createdAt: now) })
let clock = ContinuousClock()
let start = clock.now
for page in pages {
    _ = try await store.ingest(page.posts, for: page.account, now: now, fence: nil, digest: PageDigest(page.posts))
}
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(Int((Double(rows) / seconds).rounded()))
