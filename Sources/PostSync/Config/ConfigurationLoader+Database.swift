import Foundation

extension ConfigurationLoader {
    /// The valid keys of `database`.
    static let databaseKeys = ["url", "password_file", "schema", "max_connections", "tls", "token_key_file"]

    /// `database`: the PostgreSQL URL, its password file, schema, pool size and TLS mode.
    static func readDatabase(
        _ fields: ConfigurationFields, readFile: FileReader, into database: inout Configuration.Database
    ) throws(ConfigurationError) {
        if let text = try fields.string("url") {
            do {
                database.url = try DatabaseURL.parse(text)
            } catch {
                throw ConfigurationError(key: fields.dotted("url"), message: error.description)
            }
        }
        if let (path, contents) = try file("password_file", in: fields, readFile: readFile) {
            // The newline of `echo secret > file` is not part of the password.
            let password = contents.trimmingCharacters(in: .newlines)
            guard !password.isEmpty else {
                throw ConfigurationError(key: fields.dotted("password_file"), message: "\(path) is empty")
            }
            database.password = Secret(password)
        }
        if let schema = try fields.string("schema") {
            // Interpolated into SQL as an identifier, so only a plain lowercase name is accepted.
            let valid =
                !schema.isEmpty && schema.utf8.count <= 63
                && schema.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
                && !("0"..."9").contains(schema.unicodeScalars.first!)
            guard valid else {
                throw ConfigurationError(
                    key: fields.dotted("schema"),
                    message: "\"\(schema)\" is not a plain schema name (a-z, 0-9 and _, not starting with a digit)")
            }
            database.schema = schema
        }
        if let connections = try fields.integer("max_connections", minimum: 1) { database.maxConnections = connections }
        if let text = try fields.string("tls") {
            guard let mode = Configuration.Database.TLSMode(rawValue: text) else {
                throw ConfigurationError(key: fields.dotted("tls"), message: "\"\(text)\" is not disable, prefer or require")
            }
            database.tls = mode
        }
        if let (path, contents) = try file("token_key_file", in: fields, readFile: readFile) {
            do {
                database.tokenKey = try TokenKey(base64: contents)
            } catch {
                throw ConfigurationError(key: fields.dotted("token_key_file"), message: "\(path) \(error.description)")
            }
        }
        if database.url == nil, fields.has("password_file") || fields.has("schema") || fields.has("tls") {
            // Harmless, but almost certainly a forgotten url: say so rather than silently use SQLite.
            throw ConfigurationError(key: fields.dotted("url"), message: "is required when other database keys are set")
        }
    }
}
