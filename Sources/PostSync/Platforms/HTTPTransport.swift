import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A platform answer: status, headers and the whole body.
struct HTTPAnswer: Sendable {
    /// HTTP status code.
    var status: Int
    /// Response headers.
    var headers: HTTPHeaders
    /// The body bytes.
    var body: Data
}

/// The one way platform clients talk HTTP: AsyncHTTPClient with a per-request deadline, a cap
/// on body size, and errors mapped to `PlatformError` without ever echoing a URL (Instagram puts
/// the token in the query string).
struct HTTPTransport: Sendable {
    /// The shared client.
    let client: HTTPClient
    /// Time limit for one request, connect to last body byte.
    let requestTimeout: Duration
    /// Largest body read; a bigger one is an error, not an out-of-memory.
    let maxBodyBytes: Int

    init(client: HTTPClient, requestTimeout: Duration = .seconds(20), maxBodyBytes: Int = 8 << 20) {
        self.client = client
        self.requestTimeout = requestTimeout
        self.maxBodyBytes = maxBodyBytes
    }

    /// Sends one request and reads the whole answer.
    /// - Throws: `PlatformError.transient` for network failures and timeouts.
    func send(
        _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: Data? = nil, calls: CallCounter
    ) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let host = URL(string: url)?.host ?? "platform"
        calls.increment()
        do {
            let response = try await client.execute(request, timeout: .seconds(Int64(requestTimeout.seconds)))
            let buffer = try await response.body.collect(upTo: maxBodyBytes)
            return HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
        } catch is CancellationError {
            throw PlatformError.transient("request to \(host) cancelled")
        } catch let error as HTTPClientError {
            throw PlatformError.transient("request to \(host) failed: \(error)")
        } catch {
            throw PlatformError.transient("request to \(host) failed: \(type(of: error))")
        }
    }
}
