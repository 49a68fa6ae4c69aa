import ArgumentParser
import Foundation
import PostSync

/// Options every client command takes: the global ones plus the control socket.
struct ClientOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Control socket; else $POSTSYNC_SOCKET, control.socket in the config, <state dir>/control.sock.", valueName: "path"))
    var socket: String?

    /// The control socket, resolved as CONTRACT section 3 says. The config file is read only when
    /// neither the flag nor the environment names the socket.
    /// - Throws: `UsageFailure` when the config file is needed and invalid.
    func socketPath() throws -> String {
        if let socket, !socket.isEmpty { return socket }
        if let socket = ProcessInfo.processInfo.environment["POSTSYNC_SOCKET"], !socket.isEmpty { return socket }
        let configuration = try global.loadConfiguration()
        if let socket = configuration.control.socket, !socket.isEmpty { return socket }
        let directory = global.stateDirectory(configuration)
        return directory.hasSuffix("/") ? directory + "control.sock" : directory + "/control.sock"
    }

    /// The state directory, found as for `serve`.
    /// - Throws: `UsageFailure` when the config file is invalid.
    func stateDirectory() throws -> String {
        global.stateDirectory(try global.loadConfiguration())
    }

    /// Runs `body` with a client of the daemon's control socket, and closes the client after.
    func withClient<T>(_ body: (ControlClient) async throws -> T) async throws -> T {
        try await ControlClient.with(socketPath: try socketPath(), body)
    }
}
