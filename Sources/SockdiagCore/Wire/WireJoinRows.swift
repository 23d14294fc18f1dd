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

    static let absent: Int32 = -1
}

/// The joined flows, in report order, assembled from the join's rows on access.
public struct WireJoinedFlows: RandomAccessCollection, Sendable {
    let rows: [WireJoinRow]
    let kernel: WireKernelTable
    let wire: [WireFlow]

    public var startIndex: Int { 0 }
    public var endIndex: Int { rows.count }

    public subscript(position: Int) -> WireJoinedFlow {
        let row = rows[position]
        let wireFlow = row.wireIndex >= 0 ? wire[Int(row.wireIndex)] : nil
        return WireJoinedFlow(kernel: kernelView(row), wire: wireFlow, verdict: row.verdict,
                              wireIndex: row.wireIndex >= 0 ? Int(row.wireIndex) : nil)
    }

    public func verdict(at position: Int) -> WireVerdict { rows[position].verdict }

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
