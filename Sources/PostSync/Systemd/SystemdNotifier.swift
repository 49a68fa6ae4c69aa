#if canImport(Glibc)
// Under MemberImportVisibility the members of C structs such as `stat` are attributed to the
// first clang module that declares them, which on Linux is Dispatch's C module.
import CDispatch
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells systemd about the daemon's state (`sd_notify(3)`) without linking libsystemd: one
/// datagram of newline-separated `KEY=VALUE` lines to the `AF_UNIX` socket named by
/// `$NOTIFY_SOCKET`.
///
/// ```swift
/// let notifier = SystemdNotifier(environment: ProcessInfo.processInfo.environment)
/// notifier?.ready()
/// notifier?.status("3 accounts, 0 syncing, 0 failing")
/// ```
///
/// There is no notifier outside systemd (`init` returns nil), so every call site is a no-op
/// there. Sending never throws and never blocks on a slow reader: a lost notification is
/// systemd's to notice (a missed watchdog ping restarts the service), not a reason to crash.
public struct SystemdNotifier: Sendable {
    /// `$NOTIFY_SOCKET` as given: an absolute path, or `@name` for an abstract socket.
    public let socketPath: String
    /// The bytes of the `sockaddr_un` to send to, exactly `addressLength` long.
    private let address: [UInt8]

    /// The notifier for `$NOTIFY_SOCKET` in `environment`; nil when it is unset or empty (not
    /// started by systemd, or `Type=` is not `notify`), or not an absolute path or `@name` that
    /// fits a socket address.
    /// - Parameter environment: The process environment (pass `ProcessInfo.processInfo.environment`).
    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], let address = Self.socketAddress(path) else { return nil }
        self.socketPath = path
        self.address = address
    }

    /// Sends one datagram with `state`, e.g. `READY=1` or `STATUS=…\nWATCHDOG=1`. Errors are
    /// ignored (see the type's documentation).
    public func send(_ state: String) {
        let payload = Array(state.utf8)
        guard !payload.isEmpty else { return }
        // A fresh socket per message, like sd_notify: nothing to keep open or to share between
        // tasks, and CLOEXEC so no child process inherits it.
        #if os(Linux)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return }
        defer { _ = close(fd) }
        var storage = sockaddr_un()
        withUnsafeMutableBytes(of: &storage) { raw in raw.copyBytes(from: address) }
        let length = socklen_t(address.count)
        _ = payload.withUnsafeBytes { buffer in
            withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(fd, buffer.baseAddress, buffer.count, 0, socketAddress, length)
                }
            }
        }
    }

    /// `READY=1`: startup (or a reload) is complete.
    public func ready() {
        send("READY=1")
    }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() {
        send("STOPPING=1")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (the `CLOCK_MONOTONIC` time in µs), which
    /// `Type=notify-reload` (systemd 253+) requires to match the reload to its `READY=1`;
    /// older systemd ignores the extra line. Send `ready()` when the reload is done.
    public func reloading() {
        send("RELOADING=1\nMONOTONIC_USEC=\(Self.monotonicMicroseconds())")
    }

    /// `STATUS=`: the one line `systemctl status` shows. Line breaks (which would end the
    /// value and start a bogus `KEY=` line) become single spaces.
    public func status(_ text: String) {
        send("STATUS=" + Self.oneLine(text))
    }

    /// `WATCHDOG=1`: the keep-alive ping; send it every `watchdogInterval(environment:)`.
    public func watchdog() {
        send("WATCHDOG=1")
    }

    /// How often to ping the watchdog: half of `$WATCHDOG_USEC`, as `sd_watchdog_enabled(3)`
    /// recommends. Nil when the watchdog is off: `WATCHDOG_USEC` unset, zero or malformed, or
    /// `WATCHDOG_PID` set to another process (the variables were inherited, not meant for us).
    /// - Parameters:
    ///   - environment: The process environment.
    ///   - processID: This process's id (tests pass another to check the `WATCHDOG_PID` rule).
    public static func watchdogInterval(environment: [String: String], processID: pid_t = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0 else {
            return nil
        }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = pid_t(pidText), pid == processID else { return nil }
        }
        return .microseconds(microseconds) / 2
    }

    /// The current `CLOCK_MONOTONIC` time in microseconds (the clock systemd's `MONOTONIC_USEC`
    /// refers to).
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// `text` with every run of CR/LF replaced by one space and the ends trimmed.
    static func oneLine(_ text: String) -> String {
        var result = ""
        var pendingBreak = false
        for character in text {
            if character.isNewline {
                pendingBreak = true
                continue
            }
            if pendingBreak && !result.isEmpty { result.append(" ") }
            pendingBreak = false
            result.append(character)
        }
        return result
    }

    /// The `sockaddr_un` bytes for a `$NOTIFY_SOCKET` value, or nil when it is neither an
    /// absolute path nor `@name`, or too long.
    ///
    /// An abstract name is a NUL byte followed by the name, and its length counts exactly those
    /// bytes: the kernel compares all `addrlen - offsetof(sun_path)` bytes, so passing
    /// `sizeof(sockaddr_un)` would name a different socket (the name padded with NULs).
    static func socketAddress(_ path: String) -> [UInt8]? {
        let bytes = Array(path.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@"), !bytes.contains(0)
        else { return nil }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let capacity = MemoryLayout<sockaddr_un>.size - pathOffset
        // A path is NUL-terminated, and the terminator is counted, like SOCKADDR_UN_LEN.
        let name: [UInt8] = first == UInt8(ascii: "@") ? [0] + bytes.dropFirst() : bytes + [0]
        guard name.count <= capacity else { return nil }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let header = withUnsafeBytes(of: &storage) { Array($0.prefix(pathOffset)) }
        return header + name
    }
}
