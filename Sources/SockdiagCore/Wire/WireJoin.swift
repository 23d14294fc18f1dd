/// How the kernel's view of a flow compares with the wire's.
public enum WireVerdict: String, Hashable, Sendable, CaseIterable {
    /// Same IP version in the socket and on the wire.
    case same
    /// An AF_INET6 socket whose packets are IPv4: the dual-stack surprise.
    case ipv4Mapped = "ipv4-mapped"
    /// An AF_INET6 socket talking to a NAT64 prefix: IPv6 here, IPv4 after the gateway.
    case nat64
    /// The kernel saw it, the capture did not: blocked, another interface, or not sent yet.
    case kernelOnly = "kernel-only"
    /// On the wire, but from no traced socket.
    case wireOnly = "wire-only"

    /// Position in `allCases`, found by matching cases: no raw-value strings in the loop.
    public var index: Int {
        switch self {
        case .same: return 0
        case .ipv4Mapped: return 1
        case .nat64: return 2
        case .kernelOnly: return 3
        case .wireOnly: return 4
        }
    }
}

extension AddressFamily {
    /// Matched by case, not compared through raw-value strings, for per-flow paths.
    var wireIsInet6: Bool { if case .inet6 = self { return true } else { return false } }
}

/// The kernel's side of one row: a connect or send, or (for a socket seen only on egress, such as
/// an accepted one) what egress reported.
public struct WireKernelView: Sendable, Equatable {
    public var cookie: UInt64
    public var pid: UInt32?
    public var comm: WireComm
    public var hook: WireHook?
    public var socketFamily: AddressFamily
    public var transport: WireTransport?
    /// The peer as the socket holds it (`::ffff:10.0.0.2` on a dual-stack socket).
    public var address: WireAddress
    public var port: UInt16
    /// The socket's own end, from egress, when known.
    public var localAddress: WireAddress?
    public var localPort: UInt16?

    public var addressKind: AddressKind { address.ipAddress.classification.kind }
}

public struct WireJoinedFlow: Sendable, Equatable {
    public var kernel: WireKernelView?
    public var wire: WireFlow?
    public var verdict: WireVerdict
    /// The wire flow's index in the flow table.
    public var wireIndex: Int?

    public init(kernel: WireKernelView?, wire: WireFlow?, verdict: WireVerdict, wireIndex: Int? = nil) {
        self.kernel = kernel
        self.wire = wire
        self.verdict = verdict
        self.wireIndex = wireIndex
    }

    /// The socket is AF_INET6 and its packets are IPv4 (or the reverse): the thing to report.
    public var familyDiffers: Bool { if case .ipv4Mapped = verdict { return true } else { return false } }
}

public struct WireJoinResult: Sendable {
    public var flows: [WireJoinedFlow]
    /// For each wire flow (by its index in the flow table), the row that holds it.
    public var rowOfWireFlow: [Int]

    public func count(_ verdict: WireVerdict) -> Int { counts[verdict.index] }

    /// Flows per verdict, indexed by `WireVerdict.index`.
    public var counts: [Int] {
        var counts = [Int](repeating: 0, count: WireVerdict.allCases.count)
        for flow in flows { counts[flow.verdict.index] += 1 }
        return counts
    }

    public var exitStatus: ExitStatus { flows.contains(where: \.familyDiffers) ? .problemFound : .ok }
}

/// Joins the kernel's sockets with the capture's flows. A socket's egress record gives its local
/// port, which tells apart flows to the same destination exactly; without one, a connect takes
/// the earliest unclaimed flow to its destination.
public enum WireJoin {
    public static func join(kernel: WireKernelTable, wire: WireFlowTable) -> WireJoinResult {
        var claimed = [Bool](repeating: false, count: wire.flows.count)
        var intentRows = [WireJoinedFlow?](repeating: nil, count: kernel.intents.count)
        var egressRows: [WireJoinedFlow] = []
        var rowFlow: [Int] = []
        // Egress records of sockets that also connected or sent, by row: those are joined by their intent.
        var egressHasIntent = [Bool](repeating: false, count: kernel.egress.count)
        var waiting: [Int] = []
        // Rows are a few hundred bytes each: arrays sized once, not regrown and copied.
        egressRows.reserveCapacity(kernel.egress.count)

        func claim(_ view: WireKernelView, flow index: Int) -> WireJoinedFlow {
            claimed[index] = true
            let flow = wire.flows[index]
            return WireJoinedFlow(kernel: view, wire: flow, verdict: verdict(view, flow), wireIndex: index)
        }

        for (i, intent) in kernel.intents.enumerated() {
            var view = WireKernelView(cookie: intent.cookie, pid: intent.pid, comm: intent.comm, hook: intent.hook,
                                      socketFamily: intent.socketFamily, transport: intent.transport,
                                      address: intent.address, port: intent.port)
            guard let egressRow = kernel.egressRow(cookie: intent.cookie) else { waiting.append(i); continue }
            egressHasIntent[egressRow] = true
            let egress = kernel.egress[egressRow]
            view.localAddress = egress.localAddress
            view.localPort = egress.localPort
            if view.pid == nil { view.pid = egress.pid }
            if let index = lookup(wire, claimed, transport: intent.transport ?? egress.transport,
                                  local: egress.localAddress, localPort: egress.localPort,
                                  remote: intent.address, remotePort: intent.port, family: intent.socketFamily,
                                  time: egress.timeNanoseconds ?? intent.timeNanoseconds) {
                intentRows[i] = claim(view, flow: index)
            } else {
                intentRows[i] = WireJoinedFlow(kernel: view, wire: nil, verdict: .kernelOnly)
            }
        }

        for (row, egress) in kernel.egress.enumerated() where !egressHasIntent[row] {
            let family = egress.socketFamily ?? (egress.wireIsIPv6 ? .inet6 : .inet)
            var remote = egress.remoteAddress
            if family.wireIsInet6 && !remote.isIPv6 { remote = WireAddress(IPv6Address(mapping: IPv4Address(UInt32(truncatingIfNeeded: remote.low)))) }
            let view = WireKernelView(cookie: egress.cookie, pid: egress.pid, comm: egress.comm, hook: nil,
                                      socketFamily: family, transport: egress.transport, address: remote,
                                      port: egress.remotePort, localAddress: egress.localAddress,
                                      localPort: egress.localPort)
            let key = exactKey(transport: egress.transport ?? .tcp, local: egress.localAddress, localPort: egress.localPort,
                               remote: egress.remoteAddress, remotePort: egress.remotePort)
            let index = key.flatMap { wire.flowIndex(for: $0) }
                ?? (egress.transport == nil ? key.flatMap { k in wire.flowIndex(for: withTransport(k, .udp)) } : nil)
            if index != nil {
                // When every flow of the 5-tuple is claimed, this is the other end of a traced
                // connection (an accepted socket): nothing new to show.
                if let free = key.flatMap({ wire.flowIndex(for: withTransport($0, wire.flows[index!].key.transport),
                                                           near: egress.timeNanoseconds, where: { !claimed[$0] }) }) {
                    egressRows.append(claim(view, flow: free))
                }
            } else {
                egressRows.append(WireJoinedFlow(kernel: view, wire: nil, verdict: .kernelOnly))
            }
        }

        if !waiting.isEmpty {
            var byDestination: [Destination: [Int]] = [:]
            for (index, flow) in wire.flows.enumerated() where !claimed[index] {
                byDestination[Destination(flow.key), default: []].append(index)
            }
            for i in waiting {
                let intent = kernel.intents[i]
                let view = WireKernelView(cookie: intent.cookie, pid: intent.pid, comm: intent.comm, hook: intent.hook,
                                          socketFamily: intent.socketFamily, transport: intent.transport,
                                          address: intent.address, port: intent.port)
                let remote = intent.address.unmapped
                var chosen: Int?
                for transport in intent.transport.map({ [$0] }) ?? [.tcp, .udp] {
                    let destination = Destination(address: remote, port: intent.port, transport: transport)
                    guard let candidates = byDestination[destination] else { continue }
                    if let index = candidates.filter({ !claimed[$0] }).min(by: { wire.flows[$0].firstTime < wire.flows[$1].firstTime }),
                       !(!intent.socketFamily.wireIsInet6 && wire.flows[index].key.isIPv6) {
                        chosen = index
                        break
                    }
                }
                intentRows[i] = chosen.map { claim(view, flow: $0) } ?? WireJoinedFlow(kernel: view, wire: nil, verdict: .kernelOnly)
            }
        }

        var rows: [WireJoinedFlow] = []
        rows.reserveCapacity(intentRows.count + egressRows.count + claimed.lazy.filter { !$0 }.count)
        for row in intentRows { if let row { rows.append(row) } }
        rows.append(contentsOf: egressRows)
        for (index, flow) in wire.flows.enumerated() where !claimed[index] {
            rows.append(WireJoinedFlow(kernel: nil, wire: flow, verdict: .wireOnly, wireIndex: index))
        }
        rowFlow = [Int](repeating: -1, count: wire.flows.count)
        for (row, joined) in rows.enumerated() {
            if let index = joined.wireIndex { rowFlow[index] = row }
        }
        return WireJoinResult(flows: rows, rowOfWireFlow: rowFlow)
    }

    static func verdict(_ kernel: WireKernelView, _ wire: WireFlow) -> WireVerdict {
        if kernel.socketFamily.wireIsInet6 && !wire.key.isIPv6 { return .ipv4Mapped }
        if kernel.address.isIPv6, case .nat64 = kernel.addressKind { return .nat64 }
        return .same
    }

    private struct Destination: Hashable {
        var address: WireAddress
        var port: UInt16
        var transport: WireTransport

        init(address: WireAddress, port: UInt16, transport: WireTransport) {
            self.address = address
            self.port = port
            self.transport = transport
        }

        init(_ key: WireFlowKey) { self.init(address: key.destination, port: key.destinationPort, transport: key.transport) }
    }

    private static func exactKey(transport: WireTransport, local: WireAddress, localPort: UInt16,
                                 remote: WireAddress, remotePort: UInt16) -> WireFlowKey? {
        let local = local.unmapped, remote = remote.unmapped
        guard local.isIPv6 == remote.isIPv6 else { return nil }
        return WireFlowKey(transport: transport, source: local, sourcePort: localPort,
                           destination: remote, destinationPort: remotePort)
    }

    private static func withTransport(_ key: WireFlowKey, _ transport: WireTransport) -> WireFlowKey {
        var k = key
        k.transport = transport
        return k
    }

    private static func lookup(_ wire: WireFlowTable, _ claimed: [Bool], transport: WireTransport?,
                               local: WireAddress, localPort: UInt16, remote: WireAddress, remotePort: UInt16,
                               family: AddressFamily, time: UInt64?) -> Int? {
        for t in transport.map({ [$0] }) ?? [.tcp, .udp] {
            guard let key = exactKey(transport: t, local: local, localPort: localPort, remote: remote, remotePort: remotePort),
                  let index = wire.flowIndex(for: key, near: time, where: { !claimed[$0] }) else { continue }
            if !family.wireIsInet6 && key.isIPv6 { continue }
            return index
        }
        return nil
    }
}
