import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plays systemd's side of `sd_notify`: a bound `AF_UNIX` datagram socket that a notifier (or a
/// `postsync serve` started with `NOTIFY_SOCKET=notifySocket`) sends `READY=1`, `STATUS=…`,
/// `WATCHDOG=1` and `STOPPING=1` to. Receiving waits with `poll(2)` and a deadline, never a
/// sleep. The socket (and its file) go away when the listener is released.
public final class NotifyListener: Sendable {
    /// The value for `NOTIFY_SOCKET`: the socket's path, or `@name` for an abstract socket.
    public let notifySocket: String
    private let fd: Int32
    private let directory: String?

    /// Binds a socket at a fresh temporary path (`abstract: false`) or under a fresh abstract
    /// name (`abstract: true`; Linux only, no file at all).
    /// - Throws: `POSIXError` when the socket cannot be created or bound.
    public init(abstract: Bool = false) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let name: [UInt8]
        if abstract {
            notifySocket = "@postsync-notify-test-\(UUID().uuidString)"
            directory = nil
            // Abstract: a NUL, then the name; the length covers exactly these bytes.
            name = [0] + Array(notifySocket.utf8.dropFirst())
        } else {
            let directory = try temporaryDirectory("postsync-notify")
            self.directory = directory
            notifySocket = directory + "/notify.sock"
            name = Array(notifySocket.utf8) + [0]
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: name) }
        #if canImport(Glibc)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let length = socklen_t(pathOffset + name.count)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        // Thrown after every property is set, so deinit still closes the socket.
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit {
        _ = close(fd)
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The environment that points a child process (or a notifier) at this listener.
    public var environment: [String: String] { ["NOTIFY_SOCKET": notifySocket] }

    /// The next datagram as text, or nil when none arrives within `timeout`.
    public func receive(timeout: Duration = .seconds(5)) -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            // Rounded up, so a wait never ends just short of the deadline and spins.
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1_000 + attoseconds / 1_000_000_000_000_000 + 1)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            guard ready > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4_096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count >= 0 { return String(decoding: buffer[..<count], as: UTF8.self) }
            if errno == EINTR || errno == EAGAIN { continue }
            return nil
        }
    }

    /// Datagrams until one satisfies `predicate` (included, last) or `timeout` passes; the
    /// caller checks the last element to tell which.
    public func receive(until predicate: (String) -> Bool, timeout: Duration = .seconds(10)) -> [String] {
        let deadline = ContinuousClock.now + timeout
        var messages: [String] = []
        while let message = receive(timeout: deadline - ContinuousClock.now) {
            messages.append(message)
            if predicate(message) { break }
        }
        return messages
    }
}
