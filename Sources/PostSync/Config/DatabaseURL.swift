import Foundation

/// Where the PostgreSQL store lives (`database.url`, CONTRACT section 9):
/// `postgres://` or `postgresql://USER@HOST[:PORT]/DBNAME`, with `?host=/dir` selecting a Unix-socket
/// directory. It never holds a password: that comes only from `database.password_file`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// The role to connect as.
    public var user: String
    /// Host name or address (ignored when `socketDirectory` is set).
    public var host: String
    /// TCP port, or the number in the socket file's name.
    public var port: Int
    /// The database name.
    public var database: String
    /// The directory of the server's Unix socket (`?host=/run/postgresql`), or nil for TCP.
    public var socketDirectory: String?

    /// Creates a URL value.
    public init(user: String, host: String, port: Int = 5432, database: String, socketDirectory: String? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.socketDirectory = socketDirectory
    }

    /// The Unix socket file, when connecting through one (`<dir>/.s.PGSQL.<port>`).
    public var socketPath: String? {
        socketDirectory.map { "\($0)/.s.PGSQL.\(port)" }
    }

    /// The URL as written (it has no password to hide).
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let query = socketDirectory.map { "?host=\($0)" } ?? ""
        return "postgres://\(user)@\(hostPart):\(port)/\(database)\(query)"
    }

    /// Why a `database.url` text is not usable. The messages never quote the text, which may
    /// hold a password.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        /// `postgres://user:secret@…`.
        case containsPassword
        /// Anything else, with what is wrong.
        case malformed(String)

        /// A message for the configuration error.
        public var description: String {
            switch self {
            case .containsPassword:
                "must not contain a password; put the password in database.password_file"
            case .malformed(let why):
                "is not postgres://USER@HOST[:PORT]/DBNAME[?host=/socket/dir]: \(why)"
            }
        }
    }

    /// Parses a `database.url` text.
    /// - Throws: `ParseError`.
    public static func parse(_ text: String) throws(ParseError) -> DatabaseURL {
        var rest = Substring(text)
        guard let schemeEnd = rest.range(of: "://") else { throw .malformed("no postgres:// scheme") }
        let scheme = rest[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw .malformed("the scheme must be postgres:// or postgresql://")
        }
        rest = rest[schemeEnd.upperBound...]
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw .malformed("no /DBNAME") }
        let authority = rest[..<slash]
        let database = String(rest[rest.index(after: slash)...])
        guard !database.isEmpty, !database.contains("/") else { throw .malformed("no /DBNAME") }
        guard let at = authority.lastIndex(of: "@") else { throw .malformed("no USER@ before the host") }
        let userInfo = authority[..<at]
        if userInfo.contains(":") { throw .containsPassword }
        guard !userInfo.isEmpty else { throw .malformed("no USER@ before the host") }
        var hostPort = authority[authority.index(after: at)...]
        var host: String
        var port = 5432
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw .malformed("unclosed [ in the host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if !hostPort.isEmpty {
                guard hostPort.hasPrefix(":") else { throw .malformed("text after the ] of the host") }
                port = try parsePort(hostPort.dropFirst())
            }
        } else if let colon = hostPort.firstIndex(of: ":") {
            host = String(hostPort[..<colon])
            port = try parsePort(hostPort[hostPort.index(after: colon)...])
        } else {
            host = String(hostPort)
        }
        var socketDirectory: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .malformed("query parameter \(parts[0]) has no value") }
            switch parts[0] {
            case "host":
                guard parts[1].hasPrefix("/") else { throw .malformed("?host= must be an absolute directory") }
                socketDirectory = parts[1].removingPercentEncodingOrSelf
            case "port": port = try parsePort(Substring(parts[1]))
            case "password": throw .containsPassword
            default: throw .malformed("unknown query parameter \(parts[0]) (only host and port)")
            }
        }
        if host.isEmpty {
            guard socketDirectory != nil else { throw .malformed("no host") }
            host = "localhost"
        }
        return DatabaseURL(
            user: String(userInfo).removingPercentEncodingOrSelf, host: host, port: port,
            database: database.removingPercentEncodingOrSelf, socketDirectory: socketDirectory)
    }

    private static func parsePort(_ text: Substring) throws(ParseError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw .malformed("the port must be 1-65535") }
        return port
    }
}

extension String {
    /// Percent-decoded, or unchanged when it is not valid percent-encoding.
    fileprivate var removingPercentEncodingOrSelf: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return self }
            bytes.append(value)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
