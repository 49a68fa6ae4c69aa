import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Explains why a Unix socket cannot be connected to, in the system's words, after the HTTP
/// client has failed with an error that only says so in its own terms.
enum SocketProbe {
    /// Nil when a connection succeeds now; else the reason, e.g. `Connection refused`,
    /// `No such file or directory`, `Permission denied`.
    static func failure(path: String) -> String? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return "the path is longer than the \(capacity - 1) bytes a socket path may have" }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { _ = close(fd) }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? nil : String(cString: strerror(errno))
    }
}
