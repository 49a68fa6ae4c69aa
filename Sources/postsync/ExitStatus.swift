import ArgumentParser
import Foundation
import PostSync

/// Maps what a command threw to a message on stderr and the exit code of CONTRACT section 3:
/// 0 ok (also `--help`, `--version`), 1 operation failed, 2 usage error, 3 daemon not reachable.
enum ExitStatus {
    /// Operation failed.
    static let failure: Int32 = 1
    /// Usage error, including what the argument parser rejects.
    static let usage: Int32 = 2
    /// The daemon's control socket cannot be reached.
    static let unreachable: Int32 = 3

    /// Prints the error (if it has a message) and exits with its code.
    static func exit(for error: any Error) -> Never {
        switch error {
        case let error as UsageFailure:
            fail("postsync: \(error.message)", usage)
        case let error as OperationFailure:
            fail("postsync: \(error.message)", failure)
        case let error as DaemonUnreachable:
            fail("postsync: \(error)", unreachable)
        case let error as ControlError:
            fail("postsync: \(TerminalStyle.sanitized(error.message)) (\(error.code))", failure)
        case let error as StreamInterrupted:
            fail("postsync: \(error)", failure)
        default:
            // Help and version requests (exit 0), parse errors and `ValidationError`s (ArgumentParser's
            // 64, our 2, with its usage text), `ExitCode`s as thrown.
            if PostSyncCommand.exitCode(for: error) == .validationFailure {
                fail(PostSyncCommand.fullMessage(for: error), usage)
            }
            PostSyncCommand.exit(withError: error)
        }
    }

    private static func fail(_ message: String, _ code: Int32) -> Never {
        if !message.isEmpty { printError(message) }
        Foundation.exit(code)
    }
}
