import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node ids this state directory's daemons wrote `sync_log` rows under
/// (`<state_dir>/synclog.nodes`, newest last). A node id is new at every start, so after a crash
/// between a row's insert and its line's append, the next start finds the rows to append by the
/// ids of the daemons that came before it.
struct SyncLogNodes {
    /// How many ids are kept: far more than the restarts between two clean starts.
    static let kept = 32

    let path: String

    /// The file in a state directory.
    init(directory: String) {
        path = directory + "/synclog.nodes"
    }

    /// The ids written so far, oldest first (none when the file is missing).
    func read() -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Adds `node`, keeping the newest `kept` ids; written to a temporary file and renamed, so a
    /// crash leaves the old list or the new one.
    func append(_ node: String) throws {
        let ids = (read() + [node]).suffix(Self.kept)
        let temporary = path + ".tmp"
        try Data((ids.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary)
        guard rename(temporary, path) == 0 else { throw SyncLogError(operation: "rename", path: temporary, code: errno) }
    }
}
