import XCTest
@testable import SockdiagCore

/// Kernel events, wire flows and the join of both, for the join's tests.
protocol WireJoinBuilding {}

extension WireJoinBuilding {
    func address(_ text: String) -> WireAddress { WireAddress(IPAddress(text)!) }

    func connect(_ cookie: UInt64, _ family: AddressFamily, _ peer: String, _ port: UInt16, pid: UInt32 = 42,
                 transport: TransportProtocol? = .tcp) -> WireKernelEvent {
        var e = WireKernelEvent()
        e.kind = .connect
        e.hook = family == .inet ? .connect4 : .connect6
        e.cookie = cookie
        e.pid = pid
        e.comm = WireComm("client")
        e.socketFamily = family
        e.transport = transport
        e.address = address(peer)
        e.port = port
        return e
    }

    func egress(_ cookie: UInt64, _ family: AddressFamily, local: String, _ localPort: UInt16,
                remote: String, _ remotePort: UInt16, pid: UInt32? = 42) -> WireKernelEvent {
        var e = WireKernelEvent()
        e.kind = .egress
        e.cookie = cookie
        e.pid = pid
        e.socketFamily = family
        e.localAddress = address(local)
        e.localPort = localPort
        e.remoteAddress = address(remote)
        e.remotePort = remotePort
        e.wireIsIPv6 = address(local).unmapped.isIPv6
        return e
    }

    func flow(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, first: UInt64 = 0,
              transport: TransportProtocol = .tcp) -> WireFlow {
        WireFlow(key: WireFlowKey(transport: transport, source: address(src), sourcePort: sport,
                                  destination: address(dst), destinationPort: dport),
                 packets: 8, bytes: 500, firstTime: first, lastTime: first + 10)
    }

    /// The join, checked to come out the same when its flow lookups are made ahead (as the
    /// executable makes them, on two cores).
    func join(_ events: [WireKernelEvent], _ flows: [WireFlow], file: StaticString = #filePath, line: UInt = #line) -> WireJoinResult {
        var kernel = WireKernelTable()
        events.forEach { kernel.add($0) }
        let wire = WireFlowTable(flows: flows)
        let joined = WireJoin.join(kernel: kernel, wire: wire)
        let ahead = WireJoin.join(kernel: kernel, wire: wire,
                                  found: .init(intents: WireJoin.intentLookups(kernel: kernel, wire: wire),
                                               egress: WireJoin.egressLookups(kernel: kernel, wire: wire)))
        XCTAssertEqual(Array(ahead.flows), Array(joined.flows), "lookups made ahead", file: file, line: line)
        XCTAssertEqual(ahead.rowOfWireFlow, joined.rowOfWireFlow, file: file, line: line)
        return joined
    }
}
