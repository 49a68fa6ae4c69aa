/// How an Instagram account logged in, which decides the Graph host and whether the daemon can
/// refresh its token. A platform notion: the store persists it (`accounts.login`) and the
/// Instagram client reads it from `FetchRequest.login`.
public enum InstagramLogin: String, Sendable, Codable, Hashable {
    /// Business Login for Instagram: `graph.instagram.com`, refreshable long-lived tokens.
    case instagram
    /// Facebook Login for Business: `graph.facebook.com`, tokens the daemon cannot refresh.
    case facebook
}
