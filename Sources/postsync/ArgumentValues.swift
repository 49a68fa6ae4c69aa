import Foundation
import PostSync

/// Checks of argument values that the argument parser cannot do by itself; failures are
/// `UsageFailure`s (exit 2) that name the flag.
enum ArgumentValues {
    /// An RFC 3339 timestamp flag, or nil when the flag is absent.
    static func timestamp(_ text: String?, flag: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw UsageFailure(message: "\(flag): \"\(text)\" is not an RFC 3339 timestamp like 2026-11-29T01:02:03Z")
        }
        return date
    }

    /// A `--since` flag: an RFC 3339 timestamp or a duration ago (`30m`, `2h`, `7d`).
    static func since(_ text: String?, now: Date = Date()) throws -> Date? {
        guard let text else { return nil }
        guard let date = RelativeTime.parseSince(text, now: now) else {
            throw UsageFailure(message: "--since: \"\(text)\" is neither an RFC 3339 timestamp nor a duration like 30m, 2h or 7d")
        }
        return date
    }

    /// An account id, `instagram:<id>` or `tiktok:<open_id>`, in its canonical form.
    static func account(_ text: String, name: String = "ACCOUNT") throws -> String {
        guard let id = AccountID(text) else {
            throw UsageFailure(
                message: "\(name): \"\(text)\" is not an account id like instagram:17841400000000001 or tiktok:<open_id>")
        }
        return id.description
    }

    /// An optional account id flag.
    static func account(_ text: String?, flag: String) throws -> String? {
        guard let text else { return nil }
        return try account(text, name: flag)
    }
}
