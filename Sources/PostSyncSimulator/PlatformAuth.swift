/// The outcome of checking a request's token: the owning account, or the platform's error answer.
enum PlatformAuth: Sendable {
    /// The token is valid for `accountKey` (`"<platform>:<externalId>"`).
    case granted(accountKey: String)
    /// The request must be answered with this error.
    case denied(SimulatorHTTPResponse)
}
