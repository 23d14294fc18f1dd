extension WireJoin {
    /// The flow-table lookups of a join, made ahead: for each connect or send with an egress
    /// record, the latest flow of its first candidate 5-tuple; for each socket seen only on
    /// egress, of its 5-tuple. Each is a cache miss in a large table; they only read the tables,
    /// so the two lists can be found on two cores at once and the join then walks, claims and
    /// decides. An absent list is looked up by the join itself.
    public struct Lookups: Sendable {
        /// By intent row; -1: no flow (or no egress record).
        var intents: [Int32]?
        /// By egress row; -1: no flow, or a socket that also connected or sent.
        var egress: [Int32]?

        public init(intents: [Int32]? = nil, egress: [Int32]? = nil) {
            self.intents = intents
            self.egress = egress
        }

        /// What the join learns from a list made ahead.
        enum Found {
            /// No list: the join looks the flow up itself.
            case notLookedUp
            /// The latest flow of the 5-tuple, or nil when it has none.
            case latest(Int?)
        }

        func intent(_ row: Int) -> Found { Lookups.found(intents, row) }
        func egress(_ row: Int) -> Found { Lookups.found(egress, row) }

        private static func found(_ list: [Int32]?, _ row: Int) -> Found {
            guard let list else { return .notLookedUp }
            return .latest(list[row] >= 0 ? Int(list[row]) : nil)
        }
    }

    public static func intentLookups(kernel: WireKernelTable, wire: WireFlowTable) -> [Int32] {
        kernel.intents.map { intent in
            guard let row = kernel.egressRow(cookie: intent.cookie), let key = key(of: intent, kernel.egress[row]),
                  let latest = wire.flowIndex(for: key) else { return -1 }
            return Int32(latest)
        }
    }

    public static func egressLookups(kernel: WireKernelTable, wire: WireFlowTable) -> [Int32] {
        kernel.egress.map { egress in
            guard !kernel.hasIntent(cookie: egress.cookie), let key = key(of: egress),
                  let latest = wire.flowIndex(for: key) else { return -1 }
            return Int32(latest)
        }
    }
}
