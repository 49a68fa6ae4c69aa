/// The body of `POST /v1/tokens/rekey`: the new key, base64, as in a key file. The CLI reads the
/// file and sends the key over the control socket, so the daemon need not be able to read the
/// operator's file (systemd's sandbox usually prevents it).
struct TokenRekeyBody: Decodable {
    /// 32 bytes, base64.
    var key: String
}

/// The answer of `POST /v1/tokens/rekey`.
public struct TokenRekeyResult: Sendable, Codable, Equatable {
    /// Accounts whose tokens were re-sealed.
    public var reencrypted: Int
    /// The id of the key in use from now on.
    public var keyId: String
    /// What the operator must do next.
    public var message: String

    /// Creates a result.
    public init(reencrypted: Int, keyId: String, message: String) {
        self.reencrypted = reencrypted
        self.keyId = keyId
        self.message = message
    }
}
