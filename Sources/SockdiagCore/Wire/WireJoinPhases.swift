/// A join under way: which wire flows are claimed, and the rows made so far. Each phase claims
/// flows; a claimed flow is not offered to a later phase.
struct WireJoinInProgress {
    let kernel: WireKernelTable
    let wire: WireFlowTable
    /// By wire flow index.
    var claimed: [Bool]
    /// One row per connect or send, in the kernel table's order; kernel-only until a flow is claimed.
    var intentRows: [WireJoinRow]
    /// Rows of sockets seen only on egress.
    var egressRows: [WireJoinRow] = []
    /// Egress records of sockets that also connected or sent, by row: those join through their intent.
    var egressHasIntent: [Bool]
    /// Connects and sends whose socket has no egress record, by intent row: joined last, by destination.
    var withoutEgress: [Int] = []
    /// Rows of translated flows no socket claimed: both sides on one row.
    var translatedRows: [WireJoinRow] = []
    var nat64: NAT64Prefixes

    init(kernel: WireKernelTable, wire: WireFlowTable, nat64: NAT64Prefixes = .builtIn) {
        self.kernel = kernel
        self.wire = wire
        self.nat64 = nat64
        claimed = [Bool](repeating: false, count: wire.flows.count)
        intentRows = kernel.intents.indices.map { row in
            WireJoinRow(kernelRow: Int32(row), egressRow: WireJoinRow.absent, wireIndex: WireJoinRow.absent,
                        source: .intent, verdict: .kernelOnly)
        }
        egressHasIntent = [Bool](repeating: false, count: kernel.egress.count)
    }

    mutating func claim(_ row: inout WireJoinRow, _ view: WireKernelView, flow index: Int) {
        claimed[index] = true
        row.wireIndex = Int32(index)
        row.verdict = WireJoin.verdict(view, wire.flows[index], nat64: nat64)
    }

    /// Phase 1: each connect or send whose socket has an egress record takes the nearest
    /// unclaimed flow of the exact 5-tuple the record gives.
    mutating func joinIntentsByTheirEgress(_ found: WireJoin.Lookups) {
        for (i, intent) in kernel.intents.enumerated() {
            guard let egressRow = kernel.egressRow(cookie: intent.cookie) else { withoutEgress.append(i); continue }
            egressHasIntent[egressRow] = true
            intentRows[i].egressRow = Int32(egressRow)
            let egress = kernel.egress[egressRow]
            if let index = WireJoin.lookup(wire, claimed, key: WireJoin.key(of: intent, egress),
                                           transportKnown: (intent.transport ?? egress.transport) != nil,
                                           family: intent.socketFamily, time: egress.timeNs ?? intent.timeNs,
                                           ahead: found.intent(i)) {
                var row = intentRows[i]
                claim(&row, WireJoin.view(of: intent), flow: index)
                intentRows[i] = row
            }
        }
    }

    /// Phase 2: each socket seen only on egress (an accepted one, or one whose connect was not
    /// traced) takes the nearest unclaimed flow of its 5-tuple. When every flow of that 5-tuple is
    /// already claimed, it is the other end of a traced connection and makes no row.
    mutating func joinSocketsSeenOnlyOnEgress(_ found: WireJoin.Lookups) {
        for (row, egress) in kernel.egress.enumerated() where !egressHasIntent[row] {
            var joined = WireJoinRow(kernelRow: Int32(row), egressRow: Int32(row), wireIndex: WireJoinRow.absent,
                                     source: .egress, verdict: .kernelOnly)
            var matched: (latest: Int?, nearest: Int?) = (nil, nil)
            if let key = WireJoin.key(of: egress) {
                matched = wire.flows(found.egress(row), of: key, near: egress.timeNs, where: { !claimed[$0] })
                if matched.latest == nil && egress.transport == nil {
                    matched = wire.flows(of: WireJoin.withTransport(key, .udp), near: egress.timeNs,
                                         where: { !claimed[$0] })
                }
            }
            if matched.latest != nil {
                if let free = matched.nearest {
                    claim(&joined, WireJoin.view(of: egress), flow: free)
                    egressRows.append(joined)
                }
            } else {
                egressRows.append(joined)
            }
        }
    }

    /// Phase 3: each connect or send without an egress record takes the earliest unclaimed flow
    /// to its destination (un-mapped), in TCP then UDP when its transport is unknown; an AF_INET
    /// socket never takes an IPv6 flow.
    mutating func joinIntentsWithoutEgressByDestination() {
        guard !withoutEgress.isEmpty else { return }
        var byDestination: [WireJoin.Destination: [Int]] = [:]
        for (index, flow) in wire.flows.enumerated() where !claimed[index] {
            byDestination[WireJoin.Destination(flow.key), default: []].append(index)
        }
        for i in withoutEgress {
            let intent = kernel.intents[i]
            let remote = intent.address.unmapped
            for transport in intent.transport.map({ [$0] }) ?? [.tcp, .udp] {
                let destination = WireJoin.Destination(address: remote, port: intent.port, transport: transport)
                guard let candidates = byDestination[destination] else { continue }
                if let index = candidates.filter({ !claimed[$0] }).min(by: { wire.flows[$0].firstTime < wire.flows[$1].firstTime }),
                   !(!intent.socketFamily.wireIsInet6 && wire.flows[index].key.isIPv6) {
                    var row = intentRows[i]
                    claim(&row, WireJoin.view(of: intent), flow: index)
                    intentRows[i] = row
                    break
                }
            }
        }
    }

    /// The rows in report order: connects and sends, sockets seen only on egress, then the flows
    /// no socket claimed.
    /// glibc's getaddrinfo connects a UDP socket to each candidate address, to learn which source
    /// address the kernel would pick (RFC 6724 ordering), and sends nothing: such a socket is an
    /// address-selection probe, not a discrepancy.
    mutating func labelAddressProbes() {
        for i in intentRows.indices where intentRows[i].verdict == .kernelOnly && intentRows[i].egressRow < 0 {
            let intent = kernel.intents[i]
            if intent.transport == .udp, intent.hook == .connect4 || intent.hook == .connect6 {
                intentRows[i].verdict = .addressProbe
            }
        }
    }

    /// Last: the two sides of each translated flow onto one row. An AF_INET socket's IPv4 flow
    /// whose IPv6 side is free becomes `clat`; an AF_INET6 socket's flow to a prefix takes its
    /// free IPv4 side (`nat64`); two free sides make one wire-only row.
    mutating func joinTranslations() {
        let claimedBefore = claimed
        let pairs = WireTranslation.pairs(wire.flows, isFree: { !claimedBefore[$0] }, prefixes: &nat64)
        guard !pairs.isEmpty else { return }
        var rowOfFlow: [Int: (egress: Bool, row: Int)] = [:]
        for (i, row) in intentRows.enumerated() where row.wireIndex >= 0 { rowOfFlow[Int(row.wireIndex)] = (false, i) }
        for (i, row) in egressRows.enumerated() where row.wireIndex >= 0 { rowOfFlow[Int(row.wireIndex)] = (true, i) }
        for pair in pairs {
            switch (rowOfFlow[pair.ipv4], rowOfFlow[pair.ipv6]) {
            case let (owner?, nil):
                // An AF_INET socket's IPv4 packets that left as IPv6: a CLAT.
                guard !kernelSocketFamily(row(owner)).wireIsInet6 else { continue }
                update(owner) { row in
                    row.pairedIndex = Int32(pair.ipv6)
                    row.verdict = .clat
                }
                claimed[pair.ipv6] = true
            case let (nil, owner?):
                // An AF_INET6 socket's packets to a prefix, and what the NAT64 made of them.
                guard kernelSocketFamily(row(owner)).wireIsInet6 else { continue }
                update(owner) { row in
                    row.pairedIndex = Int32(pair.ipv4)
                    row.verdict = .nat64
                }
                claimed[pair.ipv4] = true
            case (nil, nil):
                var row = WireJoinRow(kernelRow: WireJoinRow.absent, egressRow: WireJoinRow.absent,
                                      wireIndex: Int32(pair.ipv6), source: .none, verdict: .wireOnly)
                row.pairedIndex = Int32(pair.ipv4)
                translatedRows.append(row)
                claimed[pair.ipv6] = true
                claimed[pair.ipv4] = true
            case (.some, .some):
                continue
            }
        }
    }

    private func kernelSocketFamily(_ row: WireJoinRow) -> AddressFamily {
        switch row.source {
        case .intent: return kernel.intents[Int(row.kernelRow)].socketFamily
        case .egress: return WireJoin.view(of: kernel.egress[Int(row.kernelRow)]).socketFamily
        case .none: return .inet
        }
    }

    private mutating func update(_ owner: (egress: Bool, row: Int), _ body: (inout WireJoinRow) -> Void) {
        if owner.egress { body(&egressRows[owner.row]) } else { body(&intentRows[owner.row]) }
    }

    private func row(_ owner: (egress: Bool, row: Int)) -> WireJoinRow {
        owner.egress ? egressRows[owner.row] : intentRows[owner.row]
    }

    func result() -> WireJoinResult {
        var rows = intentRows
        rows.reserveCapacity(intentRows.count + egressRows.count + translatedRows.count + claimed.lazy.filter { !$0 }.count)
        rows.append(contentsOf: egressRows)
        rows.append(contentsOf: translatedRows)
        for index in wire.flows.indices where !claimed[index] {
            rows.append(WireJoinRow(kernelRow: WireJoinRow.absent, egressRow: WireJoinRow.absent, wireIndex: Int32(index),
                                    source: .none, verdict: .wireOnly))
        }
        var rowFlow = [Int](repeating: -1, count: wire.flows.count)
        for (row, joined) in rows.enumerated() where joined.wireIndex >= 0 {
            rowFlow[Int(joined.wireIndex)] = row
            if joined.pairedIndex >= 0 { rowFlow[Int(joined.pairedIndex)] = row }
        }
        return WireJoinResult(flows: WireJoinedFlows(rows: rows, kernel: kernel, wire: wire.flows, nat64: nat64), rowOfWireFlow: rowFlow)
    }
}

extension WireFlowTable {
    /// `flows(from:near:where:)` from the latest flow found ahead, or `flows(of:near:where:)`
    /// when nothing was looked up ahead.
    func flows(_ ahead: WireJoin.Lookups.Found, of key: WireFlowKey, near time: UInt64?,
               where isAvailable: (Int) -> Bool) -> (latest: Int?, nearest: Int?) {
        switch ahead {
        case .notLookedUp: return flows(of: key, near: time, where: isAvailable)
        case let .latest(latest): return flows(from: latest, near: time, where: isAvailable)
        }
    }
}
