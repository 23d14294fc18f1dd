/// One conversation on the wire, both directions together, oriented from the side that opened
/// it (the TCP SYN's sender; for UDP, the sender of the first packet seen).
public struct WireFlow: Sendable, Equatable {
    public var key: WireFlowKey
    public var packets: UInt64
    /// IP bytes, headers included, both directions.
    public var bytes: UInt64
    /// Nanoseconds since the Unix epoch, from the capture's timestamps.
    public var firstTime: UInt64
    public var lastTime: UInt64

    public init(key: WireFlowKey, packets: UInt64, bytes: UInt64, firstTime: UInt64, lastTime: UInt64) {
        self.key = key
        self.packets = packets
        self.bytes = bytes
        self.firstTime = firstTime
        self.lastTime = lastTime
    }
}

/// The capture's flows: memory grows with conversations, never with packets.
public struct WireFlowTable: Sendable {
    public private(set) var flows: [WireFlow] = []
    private var index: [WireFlowKey: Int] = [:]
    public private(set) var packets: UInt64 = 0
    public private(set) var skipped = WireSkipCounts()

    public init() {}

    public init(flows: [WireFlow]) {
        for flow in flows {
            index[flow.key.canonical] = self.flows.count
            self.flows.append(flow)
            packets += flow.packets
        }
    }

    @inline(__always)
    public mutating func record(_ decoded: WireDecoded, time: UInt64) {
        packets &+= 1
        switch decoded {
        case let .packet(packet): record(packet, time: time)
        case let .skipped(reason): skipped.count(reason)
        }
    }

    @inline(__always)
    mutating func record(_ packet: WirePacket, time: UInt64) {
        let canonical = packet.key.canonical
        if let at = index[canonical] {
            flows.withUnsafeMutableBufferPointer { flows in
                flows[at].packets &+= 1
                flows[at].bytes &+= UInt64(packet.ipLength)
                if time < flows[at].firstTime { flows[at].firstTime = time }
                if time > flows[at].lastTime { flows[at].lastTime = time }
                if packet.opensConnection && flows[at].key != packet.key { flows[at].key = packet.key }
            }
            return
        }
        index[canonical] = flows.count
        flows.append(WireFlow(key: packet.acceptsConnection ? packet.key.reversed : packet.key,
                              packets: 1, bytes: UInt64(packet.ipLength), firstTime: time, lastTime: time))
    }

    /// The flow of either direction of `key`.
    public func flowIndex(for key: WireFlowKey) -> Int? { index[key.canonical] }
}
