import Foundation

// One reader per section of the config file. Each starts from the section's defaults (already in
// the `Configuration` being filled) and overwrites only what the file sets, so a partial section
// keeps the documented defaults for the rest.
extension ConfigurationLoader {
    /// The valid top-level keys.
    static let topLevelKeys = [
        "state_dir", "control", "http", "sync", "synclog", "instagram", "tiktok", "cron", "database", "cluster",
    ]
    /// The valid keys of `control`.
    static let controlKeys = ["socket", "mode"]
    /// The valid keys of `http`.
    static let httpKeys = ["listen", "max_body"]
    /// The valid keys of `sync`.
    static let syncKeys = [
        "interval", "schedule", "min_interval", "max_interval", "budget", "jitter", "lookback", "max_concurrent", "deadline",
        "backoff", "restart",
    ]
    /// The valid keys of `sync.backoff`.
    static let backoffKeys = ["min", "max"]
    /// The valid keys of `sync.restart`.
    static let restartKeys = ["max", "within"]
    /// The valid keys of `synclog`.
    static let synclogKeys = ["max_bytes", "keep"]
    /// The valid keys of `instagram`.
    static let instagramKeys = [
        "graph_url", "facebook_graph_url", "api_version", "app_secret", "app_secret_file",
        "verify_token", "verify_token_file", "refresh_before", "insights", "insights_lookback",
        "insights_every", "app_id", "redirect_uri", "scopes", "authorize_url", "token_url", "facebook_authorize_url",
    ]
    /// The valid keys of `tiktok`.
    static let tiktokKeys = [
        "api_url", "client_key", "client_secret", "client_secret_file", "refresh_before", "requests_per_minute",
        "redirect_uri", "scopes", "authorize_url",
    ]
    /// The valid keys of `cron`.
    static let cronKeys = ["secret", "secret_file"]

    /// `control`: `socket` path and octal `mode`.
    static func readControl(_ fields: ConfigurationFields, into control: inout Configuration.Control)
        throws(ConfigurationError)
    {
        if let socket = try fields.string("socket") { control.socket = socket }
        if let text = try fields.string("mode") {
            // YAML may resolve an unquoted 0660 as an integer (octal or decimal depending on the
            // YAML version); the text as written is what the user means, and it is octal like chmod.
            var digits = Substring(text)
            if digits.hasPrefix("0o") { digits = digits.dropFirst(2) }
            guard let mode = UInt32(digits, radix: 8), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                mode <= 0o777
            else {
                throw ConfigurationError(
                    key: fields.dotted("mode"),
                    message: "\"\(text)\" is not an octal file mode such as \"0660\""
                )
            }
            control.mode = mode
        }
    }

    /// `http`: `listen` address (or `off`) and `max_body`.
    static func readHTTP(_ fields: ConfigurationFields, into http: inout Configuration.HTTP)
        throws(ConfigurationError)
    {
        if let text = try fields.string("listen") {
            guard let listen = parseListen(text) else {
                throw ConfigurationError(
                    key: fields.dotted("listen"),
                    message: "\"\(text)\" is not off, host:port or [ipv6]:port (port 1-65535)"
                )
            }
            http.listen = listen
        }
        if let bytes = try fields.byteSize("max_body") {
            guard let maxBody = Int(exactly: bytes) else {
                throw ConfigurationError(key: fields.dotted("max_body"), message: "is too large")
            }
            http.maxBody = maxBody
        }
    }

    /// Parses `off`, `host:port` or `[v6addr]:port`; nil when malformed.
    static func parseListen(_ text: String) -> ListenAddress? {
        // An unquoted `off` is a YAML 1.1 boolean; its text is still "off", which is what counts.
        if text.lowercased() == "off" { return .off }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), host.contains(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            // A bare IPv6 address is ambiguous with the port; it needs brackets.
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }),
            !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), (1...65_535).contains(port)
        else { return nil }
        return .address(host: String(host), port: port)
    }

    /// `sync`: schedule, limits, `backoff` and `restart`.
    static func readSync(_ fields: ConfigurationFields, into sync: inout Configuration.Sync)
        throws(ConfigurationError)
    {
        if let interval = try fields.duration("interval") { sync.interval = interval }
        if let jitter = try fields.number("jitter", in: 0..<1) { sync.jitter = jitter }
        if let lookback = try fields.duration("lookback") { sync.lookback = lookback }
        if let maxConcurrent = try fields.integer("max_concurrent", minimum: 1) { sync.maxConcurrent = maxConcurrent }
        if let deadline = try fields.duration("deadline") { sync.deadline = deadline }
        try readSchedule(fields, into: &sync)

        let backoff = try fields.section("backoff", keys: backoffKeys)
        if let min = try backoff.duration("min") { sync.backoff.min = min }
        if let max = try backoff.duration("max") { sync.backoff.max = max }
        // Checked after both are known: a file may set only one of them against the other's default.
        guard sync.backoff.min <= sync.backoff.max else {
            throw ConfigurationError(
                key: backoff.path,
                message: "min (\(DurationText.format(sync.backoff.min))) must not be greater than "
                    + "max (\(DurationText.format(sync.backoff.max)))"
            )
        }

        let restart = try fields.section("restart", keys: restartKeys)
        if let max = try restart.integer("max", minimum: 1) { sync.restart.max = max }
        if let within = try restart.duration("within") { sync.restart.within = within }
    }

    /// `sync.schedule`, `min_interval`, `max_interval`, `budget`: the limits are checked against
    /// `interval` once all three are known (a file may set only some of them).
    static func readSchedule(_ fields: ConfigurationFields, into sync: inout Configuration.Sync)
        throws(ConfigurationError)
    {
        var limits = ScheduleMode.AdaptiveLimits()
        if case .adaptive(let configured) = sync.schedule { limits = configured }
        var adaptive = true
        if case .fixed = sync.schedule { adaptive = false }
        if let mode = try fields.string("schedule") {
            switch mode {
            case "adaptive": adaptive = true
            case "fixed": adaptive = false
            default: throw ConfigurationError(key: fields.dotted("schedule"), message: "\"\(mode)\" is not adaptive or fixed")
            }
        }
        if let minimum = try fields.duration("min_interval") { limits.minInterval = minimum }
        if let maximum = try fields.duration("max_interval") { limits.maxInterval = maximum }
        if let budget = try fields.number("budget", in: 0..<2) {
            guard budget > 0, budget <= 1 else {
                throw ConfigurationError(
                    key: fields.dotted("budget"), message: "must be greater than 0 and at most 1, not \(budget)")
            }
            limits.budget = budget
        }
        // Unset limits follow an interval outside them (`interval: 10s` means a 10s floor).
        if !fields.has("min_interval") { limits.minInterval = min(limits.minInterval, sync.interval) }
        if !fields.has("max_interval") { limits.maxInterval = max(limits.maxInterval, sync.interval) }
        sync.schedule = adaptive ? .adaptive(limits) : .fixed
        guard adaptive else { return }
        let interval = DurationText.format(sync.interval)
        guard limits.minInterval <= sync.interval else {
            throw ConfigurationError(
                key: fields.dotted("min_interval"),
                message: "\(DurationText.format(limits.minInterval)) must not be longer than sync.interval (\(interval))")
        }
        guard limits.maxInterval >= sync.interval else {
            throw ConfigurationError(
                key: fields.dotted("max_interval"),
                message: "\(DurationText.format(limits.maxInterval)) must not be shorter than sync.interval (\(interval))")
        }
    }

    /// `synclog`: rotation size and number of files kept.
    static func readSyncLog(_ fields: ConfigurationFields, into synclog: inout Configuration.SyncLogSettings)
        throws(ConfigurationError)
    {
        if let maxBytes = try fields.byteSize("max_bytes") { synclog.maxBytes = maxBytes }
        if let keep = try fields.integer("keep", minimum: 1) { synclog.keep = keep }
    }

    /// `instagram`: endpoints, API version, app secrets, refresh and insights settings.
    static func readInstagram(
        _ fields: ConfigurationFields, readFile: FileReader, into instagram: inout Configuration.Instagram
    ) throws(ConfigurationError) {
        if let url = try fields.baseURL("graph_url") { instagram.graphURL = url }
        if let url = try fields.baseURL("facebook_graph_url") { instagram.facebookGraphURL = url }
        if let version = try fields.string("api_version") {
            // The version becomes a path segment of every Graph call: `v23.0`, nothing else.
            let number = version.dropFirst()
            guard version.hasPrefix("v"), !number.isEmpty,
                number.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }),
                !number.hasPrefix("."), !number.hasSuffix(".")
            else {
                throw ConfigurationError(
                    key: fields.dotted("api_version"),
                    message: "\"\(version)\" is not a Graph API version such as v23.0"
                )
            }
            instagram.apiVersion = version
        }
        if let appSecret = try secret("app_secret", in: fields, readFile: readFile) { instagram.appSecret = appSecret }
        if let token = try secret("verify_token", in: fields, readFile: readFile) { instagram.verifyToken = token }
        if let before = try fields.duration("refresh_before") { instagram.refreshBefore = before }
        if let insights = try fields.bool("insights") { instagram.insights = insights }
        if let lookback = try fields.duration("insights_lookback") { instagram.insightsLookback = lookback }
        if let every = try fields.duration("insights_every") { instagram.insightsEvery = every }
        if let appID = try fields.string("app_id") { instagram.connect.appID = appID }
        if let redirect = try fields.redirectURI("redirect_uri") { instagram.connect.redirectURI = redirect }
        if let scopes = try fields.list("scopes") { instagram.connect.scopes = scopes }
        if let url = try fields.absoluteURL("authorize_url") { instagram.connect.authorizeURL = url }
        if let url = try fields.absoluteURL("token_url") { instagram.connect.tokenURL = url }
        if let url = try fields.absoluteURL("facebook_authorize_url") { instagram.connect.facebookAuthorizeURL = url }
    }

    /// `tiktok`: endpoint, client credentials, refresh and rate budget.
    static func readTikTok(
        _ fields: ConfigurationFields, readFile: FileReader, into tiktok: inout Configuration.TikTok
    ) throws(ConfigurationError) {
        if let url = try fields.baseURL("api_url") { tiktok.apiURL = url }
        if let key = try fields.string("client_key") { tiktok.clientKey = key }
        if let clientSecret = try secret("client_secret", in: fields, readFile: readFile) {
            tiktok.clientSecret = clientSecret
        }
        if let before = try fields.duration("refresh_before") { tiktok.refreshBefore = before }
        if let rate = try fields.integer("requests_per_minute", minimum: 1) { tiktok.requestsPerMinute = rate }
        if let redirect = try fields.redirectURI("redirect_uri") { tiktok.connect.redirectURI = redirect }
        if let scopes = try fields.list("scopes") { tiktok.connect.scopes = scopes }
        if let url = try fields.absoluteURL("authorize_url") { tiktok.connect.authorizeURL = url }
    }

    /// `cron`: the secret that enables the cron endpoint.
    static func readCron(
        _ fields: ConfigurationFields, readFile: FileReader, into cron: inout Configuration.Cron
    ) throws(ConfigurationError) {
        if let cronSecret = try secret("secret", in: fields, readFile: readFile) { cron.secret = cronSecret }
    }

    /// The path a `*_file` key names and the file's contents, or nil when the key is not set.
    /// - Throws: `ConfigurationError` naming the key when the file cannot be read.
    static func file(
        _ key: String, in fields: ConfigurationFields, readFile: FileReader
    ) throws(ConfigurationError) -> (path: String, contents: String)? {
        guard let path = try fields.string(key) else { return nil }
        do {
            return (path, try readFile(path))
        } catch {
            // Errors from reading a file describe the file, not its contents.
            throw ConfigurationError(key: fields.dotted(key), message: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// The secret `key` of `fields`, from `key` inline or from the file named by `key_file`
    /// (read with `readFile`), with surrounding white space (the newline of `echo secret > file`)
    /// removed; nil when neither is set. Messages name the key and the file path, never the
    /// contents.
    static func secret(
        _ key: String, in fields: ConfigurationFields, readFile: FileReader
    ) throws(ConfigurationError) -> Secret? {
        let fileKey = key + "_file"
        if fields.has(key) && fields.has(fileKey) {
            throw ConfigurationError(
                key: fields.dotted(key),
                message: "set either \(key) or \(fileKey), not both"
            )
        }
        if let inline = try fields.text(key) {
            let value = inline.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else {
                throw ConfigurationError(key: fields.dotted(key), message: "must not be empty")
            }
            return Secret(value)
        }
        guard let (path, contents) = try file(fileKey, in: fields, readFile: readFile) else { return nil }
        let value = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else {
            throw ConfigurationError(key: fields.dotted(fileKey), message: "\(path) is empty")
        }
        return Secret(value)
    }
}
