extension Configuration {
    /// `cluster`: several daemons on one PostgreSQL (CONTRACT section 10).
    public struct Cluster: Sendable, Equatable {
        /// `cluster.node_id`; nil: the host name and 6 random hex characters, new at each start.
        public var nodeID: String?
        /// `cluster.lease`: how long an account's lease lasts; renewed every `lease/3`.
        public var lease: Duration

        /// Creates the section; the defaults are the documented ones.
        public init(nodeID: String? = nil, lease: Duration = .seconds(30)) {
            self.nodeID = nodeID
            self.lease = lease
        }
    }
}
