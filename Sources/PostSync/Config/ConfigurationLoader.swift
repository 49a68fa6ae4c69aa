import Foundation
import Yams

/// Reads the YAML config file (CONTRACT section 2) into a `Configuration`.
///
/// Strict on purpose: unknown keys, wrong types and out-of-range values are errors that name the
/// dotted key, because a daemon that silently ignores `sync.intervall: 5m` is worse than one that
/// refuses to start. An empty file (or one with only comments) gives all defaults.
public enum ConfigurationLoader {
    /// Reads a file from disk: the default way secret `*_file` keys are resolved.
    public typealias FileReader = (String) throws -> String

    /// Reads and parses the config file at `path`; secret files are read from disk.
    /// - Throws: `ConfigurationError` (key empty) when the file cannot be read, or any error of
    ///   `load(yaml:readFile:)`.
    public static func load(path: String) throws(ConfigurationError) -> Configuration {
        let yaml: String
        do {
            yaml = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(
                key: "",
                message: "cannot read config file \(path): \(error.localizedDescription)"
            )
        }
        return try load(yaml: yaml)
    }

    /// Parses config YAML. `readFile` resolves the `*_file` secret keys (tests pass a stub).
    /// - Throws: `ConfigurationError` naming the offending key.
    public static func load(
        yaml: String,
        readFile: FileReader = { try String(contentsOfFile: $0, encoding: .utf8) }
    ) throws(ConfigurationError) -> Configuration {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as Yams.YamlError {
            throw ConfigurationError(key: "", message: describe(error))
        } catch {
            // Not expected from Yams; deliberately not interpolated, as a description could
            // quote the file (and an inline secret in it).
            throw ConfigurationError(key: "", message: "invalid YAML")
        }

        let top = try ConfigurationFields(root, path: "", keys: topLevelKeys)
        var configuration = Configuration()
        if let stateDirectory = try top.string("state_dir") {
            configuration.stateDirectory = stateDirectory
        }
        try readControl(top.section("control", keys: controlKeys), into: &configuration.control)
        try readHTTP(top.section("http", keys: httpKeys), into: &configuration.http)
        try readSync(top.section("sync", keys: syncKeys), into: &configuration.sync)
        try readSyncLog(top.section("synclog", keys: synclogKeys), into: &configuration.synclog)
        try readInstagram(
            top.section("instagram", keys: instagramKeys), readFile: readFile, into: &configuration.instagram
        )
        try readTikTok(top.section("tiktok", keys: tiktokKeys), readFile: readFile, into: &configuration.tiktok)
        try readCron(top.section("cron", keys: cronKeys), readFile: readFile, into: &configuration.cron)
        try readDatabase(
            top.section("database", keys: databaseKeys), readFile: readFile, into: &configuration.database)
        try readCluster(top.section("cluster", keys: clusterKeys), into: &configuration.cluster)
        return configuration
    }

    /// A Yams error as a one-line message with its position. Yams' own description appends a
    /// snippet of the offending line (or, for duplicate keys, the whole file), which could
    /// contain an inline secret, so it is never used.
    private static func describe(_ error: Yams.YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML at line \(mark.line), column \(mark.column): \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return message
        case .reader(let problem, let offset, _, _):
            return "invalid YAML: \(problem)" + (offset.map { " at byte \($0)" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().joined(separator: ", ")
            return "duplicate key \(keys) at line \(context.mark.line), column \(context.mark.column)"
        default:
            return "invalid YAML"
        }
    }
}
