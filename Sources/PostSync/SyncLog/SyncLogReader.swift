import Foundation

/// File names of the SyncLog inside a state directory (CONTRACT section 6).
enum SyncLogFiles {
    /// The file being appended to.
    static let current = "synclog.jsonl"

    /// The n-th rotated file; 1 is the newest.
    static func rotated(_ n: Int) -> String { "\(current).\(n)" }

    /// `name` inside `directory`.
    static func path(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// Reads the SyncLog files of a state directory, oldest record first.
///
/// A read is a snapshot and is not atomic with rotation: a rotation between listing and reading the
/// files can make it miss records. Followers therefore resume by `seq`, never by file or offset.
public struct SyncLogReader: Sendable {
    /// The state directory holding `synclog.jsonl` and its rotated files.
    public let directory: String

    /// Creates a reader of the SyncLog in `directory`.
    public init(directory: String) {
        self.directory = directory
    }

    /// The existing SyncLog files, oldest first: `synclog.jsonl.N` … `synclog.jsonl.1`, then
    /// `synclog.jsonl`. Full paths.
    public func files() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let prefix = SyncLogFiles.current + "."
        let rotated = names.compactMap { name -> Int? in
            guard name.hasPrefix(prefix) else { return nil }
            let suffix = String(name.dropFirst(prefix.count))
            // Only canonical numbers, so `synclog.jsonl.01` or a logrotate date suffix is not read.
            guard let n = Int(suffix), n >= 1, String(n) == suffix else { return nil }
            return n
        }
        var result = rotated.sorted(by: >).map { SyncLogFiles.path(directory, SyncLogFiles.rotated($0)) }
        if names.contains(SyncLogFiles.current) {
            result.append(SyncLogFiles.path(directory, SyncLogFiles.current))
        }
        return result
    }

    /// A SyncLog file's bytes, or nil when it no longer exists: rotation may have renamed the
    /// oldest file away since it was listed.
    /// - Throws: an error when an existing file cannot be read.
    static func contents(of file: String) throws -> Data? {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            if !FileManager.default.fileExists(atPath: file) { return nil }
            throw error
        }
    }

    /// Every record of every file, oldest first. A torn last line (no trailing `\n`) is a record
    /// still being written and is left out silently; any other line that does not decode is left
    /// out and counted in `skippedLines`.
    /// - Throws: an error when an existing file cannot be read.
    public func readAll() throws -> (entries: [SyncLogEntry], skippedLines: Int) {
        let decoder = JSONCoding.decoder()
        var entries: [SyncLogEntry] = []
        var skipped = 0
        for file in files() {
            guard let data = try Self.contents(of: file) else { continue }
            let parsed = Self.parseLines(data, decoder: decoder)
            entries += parsed.entries
            skipped += parsed.skipped
        }
        return (entries, skipped)
    }

    /// The records with `seq > afterSeq` (all records when `afterSeq` is nil), oldest first.
    /// - Throws: an error when an existing file cannot be read.
    public func read(afterSeq: Int64?) throws -> [SyncLogEntry] {
        let entries = try readAll().entries
        guard let afterSeq else { return entries }
        return entries.filter { $0.seq > afterSeq }
    }

    /// Decodes the `\n`-terminated lines of one file's contents; bytes after the last `\n` are ignored.
    static func parseLines(_ data: Data, decoder: JSONDecoder) -> (entries: [SyncLogEntry], skipped: Int) {
        var entries: [SyncLogEntry] = []
        var skipped = 0
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            if let entry = try? decoder.decode(SyncLogEntry.self, from: Data(data[start..<newline])) {
                entries.append(entry)
            } else {
                skipped += 1
            }
            start = data.index(after: newline)
        }
        return (entries, skipped)
    }
}
