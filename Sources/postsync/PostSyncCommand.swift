import ArgumentParser
import Foundation
import PostSync

/// `postsync`: keeps Instagram and TikTok posts and metrics in a local store.
@main
struct PostSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postsync",
        abstract: "Keeps every connected Instagram and TikTok account's posts and metrics in sync, forever.",
        discussion: """
            `postsync serve` runs the daemon; the other commands are its clients.
            State lives in --state-dir, else $POSTSYNC_STATE_DIR, else $STATE_DIRECTORY (systemd), \
            else `state_dir` in the config, else ./state.
            Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 daemon not reachable.
            """,
        version: PostSyncVersion.string,
        subcommands: [
            ServeCommand.self, StatusCommand.self, AccountsCommand.self, ConnectCommand.self, AutoSyncCommand.self,
            SyncCommand.self,
            LogsCommand.self, PostsCommand.self, DbCommand.self, TokensCommand.self, DemoCommand.self, SimulateCommand.self,
            DevImportCommand.self,
        ])

    /// Parses and runs like ArgumentParser's own `main`, but with the exit codes of CONTRACT
    /// section 3 (ArgumentParser alone would exit 64 on a usage error).
    static func main() async {
        // First, before any other thread has allocated: an arena made earlier stays (see
        // MallocArenas; `serve` is the one that needs it, the other commands do not mind).
        MallocArenas.useOne(unlessSetIn: ProcessInfo.processInfo.environment)
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            ExitStatus.exit(for: error)
        }
    }
}
