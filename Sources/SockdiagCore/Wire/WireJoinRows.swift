/// One row of the join as indexes into the tables it came from: sixteen bytes where the joined
/// flow is two hundred, so a join of many sockets writes little and each flow is assembled only
/// when it is read.
struct WireJoinRow: Sendable {
    /// What the kernel side of the row is built from.
    enum Source: UInt8, Sendable {
        /// A connect or send (`kernelRow` in `intents`), with the socket's egress record
        /// (`egressRow`) when there is one.
        case intent
        /// A socket seen only on egress (`kernelRow` in `egress`), such as an accepted one.
        case egress
        /// No kernel side: a wire-only flow.
        case none
    }

    // Indexes, `absent` (-1) for none: an Optional<Int32> each would take the row from sixteen
    // bytes to twenty-four.
    var kernelRow: Int32
    var egressRow: Int32
    var wireIndex: Int32
    var source: Source
    var verdict: WireVerdict
    /// The other side of a translated flow, or `absent`.
    var pairedIndex: Int32 = WireJoinRow.absent

    static let absent: Int32 = -1
}

/// The joined flows, in report order, assembled from the join's rows on access.
struct WireJoinedFlows: RandomAccessCollection, Sendable {
    let rows: [WireJoinRow]
    let kernel: WireKernelTable
    let wire: [WireFlow]
    let nat64: NAT64Prefixes

    var startIndex: Int { 0 }
    var endIndex: Int { rows.count }

    subscript(position: Int) -> WireJoinedFlow {
        let row = rows[position]
        let wireFlow = row.wireIndex >= 0 ? wire[Int(row.wireIndex)] : nil
        var flow = WireJoinedFlow(kernel: kernelView(row), wire: wireFlow, verdict: row.verdict,
                                  wireIndex: row.wireIndex >= 0 ? Int(row.wireIndex) : nil)
        if row.pairedIndex >= 0, let wireFlow {
            let paired = wire[Int(row.pairedIndex)]
            flow.translated = paired
            flow.translatedIndex = Int(row.pairedIndex)
            let ipv6 = wireFlow.key.isIPv6 ? wireFlow : paired, ipv4 = wireFlow.key.isIPv6 ? paired : wireFlow
            if let match = nat64.match(IPv6Address(high: ipv6.key.destination.high, low: ipv6.key.destination.low)) {
                flow.translation = WireTranslationView(kind: ipv4.firstTime <= ipv6.firstTime ? .clat : .nat64, prefix: match.prefix,
                                                       ipv4: match.ipv4 ?? IPv4Address(UInt32(truncatingIfNeeded: ipv4.key.destination.low)))
            }
        }
        if !nat64.isBuiltIn, let address = flow.kernel?.address, address.isIPv6,
           nat64.match(IPv6Address(high: address.high, low: address.low)) != nil {
            flow.kernel?.underNAT64Prefix = true
        }
        return flow
    }

    func verdict(at position: Int) -> WireVerdict { rows[position].verdict }

    private func kernelView(_ row: WireJoinRow) -> WireKernelView? {
        guard var view = kernelViewWithoutOutcome(row) else { return nil }
        if !kernel.outcomes.isEmpty { view.outcome = kernel.outcomes[view.cookie] }
        // A socket open before the run or accepted during it: no call of its own was traced.
        if view.pid == nil, !kernel.holders.isEmpty,
           let holder = kernel.holders.holder(cookie: view.cookie, transport: view.transport,
                                              localAddress: view.localAddress, localPort: view.localPort) {
            view.pid = holder.pid
            view.comm = holder.comm
        }
        return view
    }

    private func kernelViewWithoutOutcome(_ row: WireJoinRow) -> WireKernelView? {
        switch row.source {
        case .none:
            return nil
        case .intent:
            var view = WireJoin.view(of: kernel.intents[Int(row.kernelRow)])
            if row.egressRow >= 0 {
                let egress = kernel.egress[Int(row.egressRow)]
                view.localAddress = egress.localAddress
                view.localPort = egress.localPort
                if view.pid == nil { view.pid = egress.pid }
            }
            return view
        case .egress:
            return WireJoin.view(of: kernel.egress[Int(row.kernelRow)])
        }
    }
}
