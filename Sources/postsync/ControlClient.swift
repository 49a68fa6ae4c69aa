import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PostSync

/// A client of the daemon's control API (CONTRACT section 4): HTTP/1.1 and JSON over its Unix
/// socket. Failures become the CLI's exit codes: `DaemonUnreachable` (3) when the socket cannot be
/// connected to, `ControlError` (1) for an error answer, `OperationFailure` (1) otherwise.
final class ControlClient: Sendable {
    /// The methods the control API uses.
    enum Method: String, Sendable {
        /// Reads.
        case get = "GET"
        /// Creates and triggers.
        case post = "POST"
        /// Replaces.
        case put = "PUT"
        /// Removes.
        case delete = "DELETE"
    }

    /// A query: names and values, unencoded; nil values are left out.
    typealias Query = [(name: String, value: String?)]

    /// Seconds an ordinary request may take until its answer starts.
    static let defaultTimeout: Int64 = 30
    /// Largest answer read into memory (10,000 posts fit easily).
    static let maxBody = 256 << 20

    /// The socket requests go to.
    let socketPath: String
    private let http: HTTPClient

    /// Creates a client of the socket at `socketPath`; call `close()` when done (or use `with`).
    init(socketPath: String) {
        self.socketPath = socketPath
        var configuration = HTTPClient.Configuration()
        // Fail at once when nobody listens, instead of retrying the connection until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(5))
        configuration.redirectConfiguration = .disallow
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Runs `body` with a client of `socketPath` and closes the client afterwards, also on error.
    static func with<T>(socketPath: String, _ body: (ControlClient) async throws -> T) async throws -> T {
        let client = ControlClient(socketPath: socketPath)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// Shuts the HTTP client down.
    func close() async {
        try? await http.shutdown()
    }

    /// `GET path?query`.
    func get(_ path: String, query: Query = []) async throws -> (status: Int, body: Data) {
        try await send(.get, path, query: query)
    }

    /// `POST path?query` with an optional JSON body.
    func post(_ path: String, query: Query = [], json: Data? = nil, timeout: Int64 = defaultTimeout) async throws -> (
        status: Int, body: Data
    ) {
        try await send(.post, path, query: query, json: json, timeout: timeout)
    }

    /// `PUT path` with a JSON body.
    func put(_ path: String, json: Data) async throws -> (status: Int, body: Data) {
        try await send(.put, path, json: json)
    }

    /// `DELETE path?query`.
    func delete(_ path: String, query: Query = []) async throws -> (status: Int, body: Data) {
        try await send(.delete, path, query: query)
    }

    /// Sends a request and reads the whole answer.
    /// - Throws: `DaemonUnreachable`, `ControlError` for a 4xx/5xx answer, `OperationFailure`.
    func send(_ method: Method, _ path: String, query: Query = [], json: Data? = nil, timeout: Int64 = defaultTimeout)
        async throws -> (status: Int, body: Data)
    {
        let response = try await execute(method, path, query: query, json: json, timeout: timeout)
        let body: Data
        do {
            body = Data(try await response.body.collect(upTo: Self.maxBody).readableBytesView)
        } catch {
            throw OperationFailure(message: "the daemon's answer to \(method.rawValue) \(path) was cut off: \(error)")
        }
        let status = Int(response.status.code)
        if status >= 400 { throw Self.error(status: status, body: body) }
        return (status, body)
    }

    /// Sends a `GET` whose answer is JSON lines (`GET /v1/logs`) and calls `onLine` with each line
    /// (without its `\n`) as it arrives; a line may span several chunks. Returns when the daemon
    /// ends the answer.
    /// - Throws: as `send`, `StreamInterrupted` when the connection breaks mid-answer, and what
    ///   `onLine` throws.
    func streamLines(_ path: String, query: Query = [], onLine: (Data) async throws -> Void) async throws {
        let response = try await execute(.get, path, query: query, json: nil, timeout: Self.defaultTimeout)
        let status = Int(response.status.code)
        if status >= 400 {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            throw Self.error(status: status, body: body)
        }
        var pending: [UInt8] = []
        var iterator = response.body.makeAsyncIterator()
        while true {
            let chunk: [UInt8]?
            do {
                chunk = try await iterator.next().map { Array($0.readableBytesView) }
            } catch {
                throw StreamInterrupted(reason: "\(error)")
            }
            guard let chunk else { break }
            pending += chunk
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                if newline > start { try await onLine(Data(pending[start..<newline])) }
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        // The daemon ends every line with "\n"; a remainder is handed on and fails to decode if cut.
        if !pending.isEmpty { try await onLine(Data(pending)) }
    }

    /// `/v1/accounts/<id><suffix>` with the id percent-encoded (`instagram%3A1`).
    static func accountPath(_ id: String, _ suffix: String = "") -> String {
        "/v1/accounts/" + encode(id) + suffix
    }

    /// `value` as JSON, dates as RFC 3339 with milliseconds.
    static func json(_ value: some Encodable) throws -> Data {
        try JSONCoding.encoder().encode(value)
    }

    private func execute(_ method: Method, _ path: String, query: Query, json: Data?, timeout: Int64) async throws
        -> HTTPClientResponse
    {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw DaemonUnreachable(socketPath: socketPath, reason: "no such socket")
        }
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: Self.uri(path, query)) else {
            throw DaemonUnreachable(socketPath: socketPath, reason: "the path cannot be used in a request URL")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .put: request.method = .PUT
        case .delete: request.method = .DELETE
        }
        request.headers.add(name: "User-Agent", value: "postsync/\(PostSyncVersion.string)")
        request.headers.add(name: "Accept", value: "application/json")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(json)
        }
        do {
            return try await http.execute(request, timeout: .seconds(timeout))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw OperationFailure(
                message:
                    "the daemon did not answer \(method.rawValue) \(path) within \(RelativeTime.duration(TimeInterval(timeout)))")
        } catch let error as CancellationError {
            throw error
        } catch {
            throw DaemonUnreachable(socketPath: socketPath, reason: SocketProbe.failure(path: socketPath) ?? "\(error)")
        }
    }

    /// The error an error answer carries: `{"error":{"code","message"}}`, or one made up from the
    /// status when the body is not that.
    static func error(status: Int, body: Data) -> ControlError {
        struct Envelope: Decodable { var error: ControlError }
        if var error = try? JSONCoding.decoder().decode(Envelope.self, from: body).error {
            error.status = status
            return error
        }
        let text = TerminalStyle.sanitized(String(decoding: body.prefix(300), as: UTF8.self))
            .trimmingCharacters(in: .whitespaces)
        return ControlError(
            code: "http_\(status)", message: "the daemon answered HTTP \(status)" + (text.isEmpty ? "" : ": \(text)"),
            status: status)
    }

    /// `path?name=value&…` with names and values percent-encoded.
    static func uri(_ path: String, _ query: Query) -> String {
        let items = query.compactMap { item in item.value.map { "\(encode(item.name))=\(encode($0))" } }
        return items.isEmpty ? path : path + "?" + items.joined(separator: "&")
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters.
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// The connection broke while an answer was streaming (the daemon stopped or crashed).
struct StreamInterrupted: Error, CustomStringConvertible {
    /// What the HTTP client reported.
    var reason: String
    /// A sentence for stderr.
    var description: String { "the daemon's answer broke off: \(reason)" }
}
