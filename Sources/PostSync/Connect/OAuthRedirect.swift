import Foundation

/// What the platform's redirect carried back: a code, or the user's (or platform's) refusal.
/// Read from the callback's query, or from the whole URL a user pasted (Meta appends `#_` to
/// it, and a fragment is never part of the query, so it goes).
enum OAuthRedirect: Equatable {
    /// The authorization code and the state it came with.
    case code(String, state: String?)
    /// `error` and `error_description` (Meta also sends `error_reason`).
    case refused(error: String, description: String?, state: String?)

    /// Reads the query parameters of a redirect.
    /// - Throws: `invalid_request` when there is neither a code nor an error.
    static func parse(query: [String: String]) throws(ControlError) -> OAuthRedirect {
        let state = query["state"].flatMap { $0.isEmpty ? nil : $0 }
        if let error = query["error"], !error.isEmpty {
            let description = query["error_description"] ?? query["error_reason"]
            return .refused(error: error, description: description, state: state)
        }
        guard let code = query["code"].map(stripMetaSuffix), !code.isEmpty else {
            throw .invalidRequest("the redirect has neither a code nor an error")
        }
        return .code(code, state: state)
    }

    /// Reads the whole URL the browser was sent to.
    /// - Throws: `invalid_request` naming `redirectUrl`.
    static func parse(url text: String) throws(ControlError) -> OAuthRedirect {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let components = URLComponents(string: trimmed), components.scheme != nil else {
            throw .invalidRequest("redirectUrl: not a URL (paste the whole address the browser was sent to)")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        do {
            return try parse(query: query)
        } catch {
            throw .invalidRequest("redirectUrl: \(error.message)")
        }
    }

    /// A code as given on its own, with Meta's `#_` (or Facebook's `#_=_`) removed if it was
    /// copied along: a fragment is never part of a code.
    static func stripMetaSuffix(_ code: String) -> String {
        let code = code.trimmingCharacters(in: .whitespacesAndNewlines)
        return String(code.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }
}
