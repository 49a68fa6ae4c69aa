import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// System-call helpers of the SyncLog writer: descriptor wrappers and the backwards scan that finds
/// the last record of a file. Kept out of the actor because inside it `close` would resolve to
/// `SyncLogWriter.close()`.
enum SyncLogFileIO {
    /// `open(2)` with mode 0600 for created files; returns -1 and sets `errno` on failure.
    static func openFile(_ path: String, _ flags: Int32) -> Int32 {
        open(path, flags, mode_t(0o600))
    }

    /// `close(2)`, ignoring errors (nothing useful can be done about them).
    static func closeFD(_ fd: Int32) {
        _ = close(fd)
    }

    /// `fdatasync(2)` (`fsync` where it does not exist); 0 on success.
    static func dataSync(_ fd: Int32) -> Int32 {
        #if os(Linux)
        return fdatasync(fd)
        #else
        return fsync(fd)
        #endif
    }

    /// `fsync(2)`; 0 on success.
    static func fullSync(_ fd: Int32) -> Int32 {
        fsync(fd)
    }

    /// The last seq in synclog.jsonl.1, .2, … (the first file holding a record that decodes).
    static func lastSeqInRotatedFiles(directory: String, decoder: JSONDecoder) throws -> Int64? {
        var n = 1
        while let tail = try scanTail(path: SyncLogFiles.path(directory, SyncLogFiles.rotated(n)), decoder: decoder) {
            if let seq = tail.lastSeq { return seq }
            n += 1
        }
        return nil
    }

    /// Reads a file backwards in chunks. Returns nil when it does not exist; otherwise the offset
    /// just past its last "\n" (0 if none) and the seq of the last complete line that decodes as a
    /// record (lines that do not decode are skipped).
    static func scanTail(path: String, decoder: JSONDecoder) throws -> (end: off_t, lastSeq: Int64?)? {
        let fd = openFile(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw SyncLogError(operation: "open", path: path, code: code)
        }
        defer { closeFD(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else { throw SyncLogError(operation: "lseek", path: path, code: errno) }

        var completeEnd: off_t?
        var carry: [UInt8] = []  // the end of a line whose start lies in an earlier chunk
        var chunkEnd = size
        while chunkEnd > 0 {
            let chunkStart = max(0, chunkEnd - off_t(64 * 1024))
            let chunk = try readChunk(fd: fd, path: path, offset: chunkStart, count: Int(chunkEnd - chunkStart))
            var lineEnd = chunk.count
            for i in stride(from: chunk.count - 1, through: 0, by: -1) where chunk[i] == 0x0A {
                if let end = completeEnd {
                    var line = Array(chunk[(i + 1)..<lineEnd])
                    line.append(contentsOf: carry)
                    if let seq = decodeSeq(line, decoder: decoder) { return (end, seq) }
                } else {
                    completeEnd = chunkStart + off_t(i) + 1
                }
                carry = []
                lineEnd = i
            }
            // Until the first "\n" is found, the bytes are the torn tail and are dropped.
            if completeEnd != nil {
                carry = Array(chunk[0..<lineEnd]) + carry
            }
            chunkEnd = chunkStart
        }
        guard let end = completeEnd else { return (0, nil) }
        return (end, decodeSeq(carry, decoder: decoder))
    }

    private static func readChunk(fd: Int32, path: String, offset: off_t, count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, count - done, offset + off_t(done))
            }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SyncLogError(operation: "read", path: path, code: code)
            }
            // The file shrank under us; only this writer appends, so someone else truncated it.
            if n == 0 { throw SyncLogError(operation: "read", path: path, code: EIO) }
            done += n
        }
        return buffer
    }

    private static func decodeSeq(_ line: [UInt8], decoder: JSONDecoder) -> Int64? {
        guard !line.isEmpty else { return nil }
        return (try? decoder.decode(SyncLogEntry.self, from: Data(line)))?.seq
    }
}
