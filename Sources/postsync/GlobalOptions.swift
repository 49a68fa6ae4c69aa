import ArgumentParser
import Foundation
import PostSync

/// Options every command takes: where the config, the state and the socket are.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (YAML); else $POSTSYNC_CONFIG.", valueName: "file"))
    var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "State directory; else $POSTSYNC_STATE_DIR, $STATE_DIRECTORY, state_dir in the config, ./state.", valueName: "dir"))
    var stateDir: String?

    /// The configuration file named by `--config` or `$POSTSYNC_CONFIG`, if any.
    var configPath: String? {
        let path = config ?? ProcessInfo.processInfo.environment["POSTSYNC_CONFIG"]
        return path?.isEmpty == false ? path : nil
    }

    /// The configuration file named by flag or environment, loaded; defaults when none.
    /// - Throws: `ValidationError`-style exit 2 with the key named.
    func loadConfiguration() throws -> Configuration {
        let environment = ProcessInfo.processInfo.environment
        guard let path = config ?? environment["POSTSYNC_CONFIG"], !path.isEmpty else { return Configuration() }
        do {
            return try ConfigurationLoader.load(path: path)
        } catch {
            throw UsageFailure(message: "\(error)")
        }
    }

    /// The state directory, resolved as CONTRACT section 2 says.
    func stateDirectory(_ configuration: Configuration) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let stateDir, !stateDir.isEmpty { return stateDir }
        if let dir = environment["POSTSYNC_STATE_DIR"], !dir.isEmpty { return dir }
        if let dir = environment["STATE_DIRECTORY"], !dir.isEmpty {
            // systemd may pass several, colon-separated; ours is the first.
            return String(dir.split(separator: ":").first ?? Substring(dir))
        }
        return configuration.stateDirectory ?? "./state"
    }
}

/// A usage or configuration problem: message on stderr, exit code 2.
struct UsageFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// An operation that failed: message on stderr, exit code 1.
struct OperationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Prints a message to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
