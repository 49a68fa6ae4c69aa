import Foundation

/// An OAuth `redirect_uri` from the config (`instagram.redirect_uri`, `tiktok.redirect_uri`):
/// either an address the browser reaches the daemon's HTTP listener at (through a TLS proxy), or a
/// loopback address the CLI listens on itself. Port 0 on a loopback address means "the CLI picks
/// a free port"; the attempt then carries the real one.
public struct RedirectURI: Sendable, Equatable, CustomStringConvertible {
    /// The URI as configured.
    public let text: String
    /// `http` or `https`.
    public let scheme: String
    /// The host, lower-cased.
    public let host: String
    /// The port; nil when the URI has none (the scheme's default), 0 for "any free port".
    public let port: Int?
    /// The path (at least `/`).
    public let path: String

    /// Parses and checks a redirect URI.
    /// - Returns: nil with a reason when it is not an absolute http(s) URI with a host and without
    ///   a query or fragment (Meta and TikTok match redirect URIs exactly, and TikTok refuses
    ///   both), or when a non-loopback URI is not HTTPS.
    public static func parse(_ text: String) -> Result<RedirectURI, RedirectURIError> {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty
        else { return .failure(.init("\"\(text)\" is not an http:// or https:// URL with a host")) }
        guard components.query == nil, components.fragment == nil else {
            return .failure(.init("\"\(text)\" must not have a query or a fragment (the platforms match it exactly)"))
        }
        let loopback = Self.isLoopback(host)
        guard scheme == "https" || loopback else {
            return .failure(.init("\"\(text)\" must be https:// (only 127.0.0.1 and localhost may use http://)"))
        }
        if components.port == 0, !loopback {
            return .failure(.init("\"\(text)\": port 0 (a free port the CLI picks) is only for 127.0.0.1 or localhost"))
        }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return .success(RedirectURI(text: text, scheme: scheme, host: host, port: components.port, path: path))
    }

    private init(text: String, scheme: String, host: String, port: Int?, path: String) {
        self.text = text
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
    }

    /// Whether the browser is sent to the CLI on this machine rather than to the daemon.
    public var isLoopback: Bool { Self.isLoopback(host) }

    /// Whether the CLI must choose the port (`http://127.0.0.1:0/callback/`).
    public var needsPort: Bool { port == 0 }

    /// The URI as configured.
    public var description: String { text }

    /// The same URI on another port (for a port-0 loopback URI).
    public func withPort(_ port: Int) -> RedirectURI {
        var components = URLComponents(string: text) ?? URLComponents()
        components.port = port
        let text = components.string ?? self.text
        return RedirectURI(text: text, scheme: scheme, host: host, port: port, path: path)
    }

    /// Whether `other` is this URI, or for a port-0 loopback URI, this URI on some real port.
    public func admits(_ other: RedirectURI) -> Bool {
        if needsPort {
            return other.scheme == scheme && other.host == host && other.path == path && (other.port ?? 0) > 0
        }
        return other.text == text
    }

    private static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "localhost" || host == "[::1]" || host == "::1"
    }
}

/// Why a redirect URI was refused.
public struct RedirectURIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reason, for people.
    public let description: String

    init(_ description: String) { self.description = description }
}
