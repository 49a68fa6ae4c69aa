import Foundation

/// The small HTML page a browser sees at the end of a connect (the daemon's callbacks and the
/// CLI's loopback listener): who connected, or the platform's error. It never shows the code.
public enum ConnectPage {
    /// "Connected @name. You can close this tab."
    public static func connected(_ accounts: [AccountView]) -> String {
        let names = accounts.map { "@" + ($0.username ?? $0.externalId) }.joined(separator: ", ")
        return page(title: "Connected", message: "Connected \(names). You can close this tab.")
    }

    /// The error, for people.
    public static func failed(_ error: ControlError) -> String {
        page(title: "Not connected", message: "Not connected: \(error.message)")
    }

    private static func page(title: String, message: String) -> String {
        """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>postsync: \(escape(title))</title></head>
        <body style="font-family: sans-serif; margin: 3em"><p>\(escape(message))</p></body></html>

        """
    }

    /// Escapes text for HTML (platform error texts are not ours).
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
