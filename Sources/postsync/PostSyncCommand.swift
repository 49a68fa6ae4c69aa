import ArgumentParser
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
            """,
        version: PostSyncVersion.string,
        subcommands: [ServeCommand.self, SimulateCommand.self, DevImportCommand.self])
}
