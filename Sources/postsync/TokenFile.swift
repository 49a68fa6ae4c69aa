import Foundation

/// Reads tokens from files or standard input (`-`), never from the command line, where they
/// would show in `ps` and shell history. Tokens are never printed, not even in error messages.
enum TokenFile {
    /// The token in `path` (or standard input for `-`) without surrounding white space.
    /// - Throws: `UsageFailure` naming the flag when the file cannot be read or holds no token.
    static func read(_ path: String, flag: String) throws -> String {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                // Only the path and the cause: the error's own text may quote the file.
                let reason: String
                if !FileManager.default.fileExists(atPath: path) {
                    reason = "no such file"
                } else if !FileManager.default.isReadableFile(atPath: path) {
                    reason = "permission denied"
                } else {
                    reason = "cannot be read"
                }
                throw UsageFailure(message: "\(flag): \(path): \(reason)")
            }
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw UsageFailure(message: "\(flag): \(path == "-" ? "standard input" : path) is not UTF-8 text")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw UsageFailure(message: "\(flag): \(path == "-" ? "standard input" : path) holds no token")
        }
        return token
    }

    /// Rejects reading two tokens from standard input.
    static func checkSingleStandardInput(_ paths: [(flag: String, path: String?)]) throws {
        let fromStdin = paths.filter { $0.path == "-" }.map(\.flag)
        if fromStdin.count > 1 {
            throw UsageFailure(message: "only one of \(fromStdin.joined(separator: ", ")) can read standard input (-)")
        }
    }
}
