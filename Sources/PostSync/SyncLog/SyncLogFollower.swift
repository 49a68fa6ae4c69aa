import Foundation

#if canImport(Glibc)
// Under MemberImportVisibility the members of C structs such as `stat` are attributed to the
// first clang module that declares them, which on Linux is Dispatch's C module.
import CDispatch
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Follows the SyncLog files of a state directory like `tail -F`, for `postsync logs -f` while the
/// daemon is down: each `poll()` returns the records written since the previous one, across
/// rotations, never losing or repeating one (records are resumed by `seq`, CONTRACT section 6).
///
/// Cheap when nothing happens: it remembers the inode of `synclog.jsonl` and the offset just past
/// its last complete line, and reads only what was appended. When the inode changes (rotation) or
/// the file shrinks, it reads every file again and keeps the records past the last `seq` returned.
public struct SyncLogFollower: Sendable {
    /// One record and its line exactly as the file holds it (without the `\n`).
    public struct Record: Sendable, Equatable {
        /// The decoded entry.
        public var entry: SyncLogEntry
        /// The raw JSON line.
        public var line: Data
    }

    /// The state directory.
    public let directory: String
    /// The `seq` of the last record returned (or given to `init`).
    public private(set) var lastSeq: Int64?
    /// Complete lines that did not decode as a record, so far.
    public private(set) var skippedLines = 0

    /// Where the incremental read of `synclog.jsonl` resumes.
    private var position: (inode: UInt64, offset: Int64)?
    /// Whether a full read happened since `synclog.jsonl` was last seen missing.
    private var readWhileMissing = false
    private let decoder = JSONCoding.decoder()

    /// Creates a follower that returns records with `seq > afterSeq` (all when nil).
    public init(directory: String, afterSeq: Int64? = nil) {
        self.directory = directory
        self.lastSeq = afterSeq
    }

    /// The records written since the last call, oldest first; on the first call, every record
    /// in the files past `afterSeq`. A torn last line is left for a later call.
    /// - Throws: an error when an existing file cannot be read.
    public mutating func poll() throws -> [Record] {
        let current = SyncLogFiles.path(directory, SyncLogFiles.current)
        var info = stat()
        guard stat(current, &info) == 0 else {
            let code = errno
            guard code == ENOENT else { throw SyncLogError(operation: "stat", path: current, code: code) }
            // Between a rotation's rename and the new file; or no log yet. The rotated files do
            // not change, so one full read covers them until the file reappears.
            position = nil
            if readWhileMissing { return [] }
            readWhileMissing = true
            return try fullRead()
        }
        readWhileMissing = false
        let inode = UInt64(info.st_ino)
        let size = Int64(info.st_size)
        if let position, position.inode == inode, size >= position.offset {
            if size == position.offset { return [] }
            return try incrementalRead(path: current, inode: inode, from: position.offset)
        }
        return try fullRead()
    }

    /// Reads only what was appended to `synclog.jsonl` since `offset`.
    private mutating func incrementalRead(path: String, inode: UInt64, from offset: Int64) throws -> [Record] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return try fullRead() }
            throw SyncLogError(operation: "open", path: path, code: code)
        }
        defer { _ = close(fd) }
        var info = stat()
        // Renamed away between stat and open: the new file needs a full read.
        guard fstat(fd, &info) == 0, UInt64(info.st_ino) == inode else { return try fullRead() }
        let data = try Self.readToEnd(fd, from: offset, path: path)
        var records: [Record] = []
        let consumed = parse(data, into: &records)
        self.position = (inode, offset + Int64(consumed))
        return records
    }

    /// Reads every file, oldest first, and returns the records past `lastSeq`.
    private mutating func fullRead() throws -> [Record] {
        let currentPath = SyncLogFiles.path(directory, SyncLogFiles.current)
        // Open the current file before listing the rotated ones: if a rotation happens in
        // between, what this descriptor misses is in `.1` by the time it is listed.
        let fd = open(currentPath, O_RDONLY | O_CLOEXEC)
        if fd < 0, errno != ENOENT { throw SyncLogError(operation: "open", path: currentPath, code: errno) }
        defer { if fd >= 0 { _ = close(fd) } }
        var currentInode: UInt64?
        var currentData = Data()
        if fd >= 0 {
            var info = stat()
            guard fstat(fd, &info) == 0 else { throw SyncLogError(operation: "fstat", path: currentPath, code: errno) }
            currentInode = UInt64(info.st_ino)
            currentData = try Self.readToEnd(fd, from: 0, path: currentPath)
        }
        var records: [Record] = []
        for file in SyncLogReader(directory: directory).files() where file != currentPath {
            guard let data = try SyncLogReader.contents(of: file) else { continue }
            _ = parse(data, into: &records)
        }
        let consumed = parse(currentData, into: &records)
        position = currentInode.map { ($0, Int64(consumed)) }
        return records
    }

    /// Appends the records of the complete lines of `data` past `lastSeq`; returns the number of
    /// bytes up to and including the last `\n`.
    private mutating func parse(_ data: Data, into records: inout [Record]) -> Int {
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            let line = Data(data[start..<newline])
            start = data.index(after: newline)
            guard !line.isEmpty else { continue }
            guard let entry = try? decoder.decode(SyncLogEntry.self, from: line) else {
                skippedLines += 1
                continue
            }
            if let lastSeq, entry.seq <= lastSeq { continue }
            lastSeq = entry.seq
            records.append(Record(entry: entry, line: line))
        }
        return data.distance(from: data.startIndex, to: start)
    }

    /// Everything from `offset` to the end of the file.
    private static func readToEnd(_ fd: Int32, from offset: Int64, path: String) throws -> Data {
        var data = Data()
        var position = off_t(offset)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, position) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SyncLogError(operation: "read", path: path, code: errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
            position += off_t(count)
        }
    }
}
