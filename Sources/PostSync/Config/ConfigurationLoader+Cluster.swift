extension ConfigurationLoader {
    /// The valid keys of `cluster`.
    static let clusterKeys = ["node_id", "lease"]

    /// `cluster`: this daemon's node id and the account lease.
    static func readCluster(
        _ fields: ConfigurationFields, into cluster: inout Configuration.Cluster
    ) throws(ConfigurationError) {
        if let node = try fields.string("node_id") {
            // Shown in status and written into sync_log.node: printable, short and without spaces.
            let valid =
                !node.isEmpty && node.utf8.count <= 64
                && node.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                        || "-_.".unicodeScalars.contains($0)
                }
            guard valid else {
                throw ConfigurationError(
                    key: fields.dotted("node_id"),
                    message: "\"\(node)\" is not a node id (1 to 64 of a-z, A-Z, 0-9, '-', '_' and '.')")
            }
            cluster.nodeID = node
        }
        if let lease = try fields.duration("lease") {
            // Renewed every lease/3 over the network: under 3 s a slow statement would lose it.
            guard lease >= .seconds(3) else {
                throw ConfigurationError(key: fields.dotted("lease"), message: "must be at least 3s")
            }
            cluster.lease = lease
        }
    }
}
