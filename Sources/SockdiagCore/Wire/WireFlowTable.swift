/// One conversation on the wire, both directions together, oriented from the side that opened
/// it (the TCP SYN's sender; for UDP, the sender of the first packet seen).
public struct WireFlow: Sendable, Equatable {
    var key: WireFlowKey
    var packets: UInt64
    /// IP bytes, headers included, both directions.
    var bytes: UInt64
    /// Nanoseconds since the Unix epoch, from the capture's timestamps.
    var firstTime: UInt64
    var lastTime: UInt64
    /// A FIN or RST was seen: a later SYN on the same 5-tuple is a new connection.
    var ended: Bool = false
    /// Where its packets were captured, when the link type says (Linux cooked v2).
    public var interfaces = WireInterfaces()

    init(key: WireFlowKey, packets: UInt64, bytes: UInt64, firstTime: UInt64, lastTime: UInt64) {
        self.key = key
        self.packets = packets
        self.bytes = bytes
        self.firstTime = firstTime
        self.lastTime = lastTime
    }
}

/// The interfaces a flow's packets were captured on, by index: two kept (a translated flow is seen
/// on the translator's TUN device and on one other), more counted.
public struct WireInterfaces: Sendable, Equatable {
    private(set) var first: UInt32 = 0
    private(set) var second: UInt32 = 0
    private(set) var more = false

    init() {}

    @inline(__always)
    mutating func insert(_ index: UInt32) {
        if first == index || second == index { return }
        if first == 0 { first = index } else if second == 0 { second = index } else { more = true }
    }

    public var indexes: [UInt32] { [first, second].filter { $0 != 0 } }
    var isEmpty: Bool { first == 0 }
}

/// The capture's flows: memory grows with conversations, never with packets. A 5-tuple reused by a
/// later connection (ports recycled after TIME_WAIT) is a new flow, chained to the earlier one.
public struct WireFlowTable: Sendable {
    public private(set) var flows: [WireFlow] = []
    /// The previous flow of the same 5-tuple, or -1.
    private var previous: [Int32] = []
    private var index = WireRowIndex()
    public private(set) var packets: UInt64 = 0
    public private(set) var skipped = WireSkipCounts()

    public init() {}

    /// Room for about `flows` flows, so a large capture's table is not regrown and copied step by
    /// step. A guess too large costs address space, not memory: pages are touched as flows arrive.
    /// The index still grows with the flows: sized for a guess, it would spread them over more
    /// cache lines than they need, and every packet looks its flow up there.
    public mutating func reserveCapacity(flows count: Int) {
        flows.reserveCapacityInHugePages(count)
        previous.reserveCapacityInHugePages(count)
    }

    init(flows: [WireFlow]) {
        for flow in flows {
            let existing = flowIndex(for: flow.key)
            previous.append(Int32(existing ?? -1))
            index.insert(hash: flow.key.canonical.rowHash, row: self.flows.count, replacing: existing)
            self.flows.append(flow)
            packets += flow.packets
        }
    }

    /// Decodes a captured packet and counts it (the capture readers' one call per packet);
    /// returns the index of its flow, or nil when it was skipped.
    @discardableResult
    public mutating func record(_ bytes: UnsafeRawBufferPointer, originalLength: Int, time: UInt64,
                                decoder: WirePacketDecoder) -> Int? {
        record(decoder.decode(bytes, originalLength: originalLength), time: time)
    }

    /// Counts the packet; returns the index of its flow, or nil when it was skipped.
    @inline(__always) @discardableResult
    mutating func record(_ decoded: WireDecoded, time: UInt64) -> Int? {
        packets &+= 1
        switch decoded {
        case let .packet(packet): return record(packet, time: time)
        case let .skipped(reason): skipped.count(reason); return nil
        }
    }

    @inline(__always)
    mutating func record(_ packet: WirePacket, time: UInt64) -> Int {
        let canonical = packet.key.canonical
        let hash = canonical.rowHash
        let existing = row(of: canonical, hash: hash)
        if let at = existing, !(packet.opensConnection && flows[at].ended) {
            flows.withUnsafeMutableBufferPointer { flows in
                flows[at].packets &+= 1
                flows[at].bytes &+= UInt64(packet.ipLength)
                if time < flows[at].firstTime { flows[at].firstTime = time }
                if time > flows[at].lastTime { flows[at].lastTime = time }
                if packet.opensConnection && flows[at].key != packet.key { flows[at].key = packet.key }
                if packet.endsConnection { flows[at].ended = true }
                if packet.interfaceIndex != 0 { flows[at].interfaces.insert(packet.interfaceIndex) }
            }
            return at
        }
        let at = flows.count
        index.insert(hash: hash, row: at, replacing: existing)
        previous.append(Int32(existing ?? -1))
        var flow = WireFlow(key: packet.acceptsConnection ? packet.key.reversed : packet.key,
                            packets: 1, bytes: UInt64(packet.ipLength), firstTime: time, lastTime: time)
        flow.ended = packet.endsConnection
        if packet.interfaceIndex != 0 { flow.interfaces.insert(packet.interfaceIndex) }
        flows.append(flow)
        return at
    }

    /// The latest flow of either direction of `key`.
    func flowIndex(for key: WireFlowKey) -> Int? {
        let canonical = key.canonical
        return row(of: canonical, hash: canonical.rowHash)
    }

    @inline(__always)
    private func row(of canonical: WireFlowKey, hash: UInt32) -> Int? {
        flows.withUnsafeBufferPointer { flows in index.find(hash: hash) { flows[$0].key.canonical == canonical } }
    }

    /// Among the flows of `key` that `isAvailable` accepts, the one that started nearest `time`,
    /// or the earliest when the time is unknown.
    func flowIndex(for key: WireFlowKey, near time: UInt64?, where isAvailable: (Int) -> Bool) -> Int? {
        flows(of: key, near: time, where: isAvailable).nearest
    }

    /// The latest flow of `key` (nil when the 5-tuple never appeared) and, among its flows that
    /// `isAvailable` accepts, the one that started nearest `time`: one index lookup for both.
    func flows(of key: WireFlowKey, near time: UInt64?,
                      where isAvailable: (Int) -> Bool) -> (latest: Int?, nearest: Int?) {
        flows(from: flowIndex(for: key), near: time, where: isAvailable)
    }

    /// `flows(of:near:where:)` for a key whose latest flow was looked up before.
    func flows(from latest: Int?, near time: UInt64?,
                      where isAvailable: (Int) -> Bool) -> (latest: Int?, nearest: Int?) {
        guard let latest else { return (nil, nil) }
        var at = latest
        var best: Int?
        var bestDistance = UInt64.max
        while at >= 0 {
            if isAvailable(at) {
                let first = flows[at].firstTime
                let distance = time.map { first > $0 ? first - $0 : $0 - first } ?? 0
                if distance <= bestDistance { best = at; bestDistance = distance }
            }
            at = Int(previous[at])
        }
        return (latest, best)
    }
}

extension WireFlowKey {
    /// The key's hash for `WireRowIndex`: addresses, ports, transport and versions in five words.
    @inline(__always)
    var rowHash: UInt32 {
        WireRowIndex.hash(source.high, source.low, destination.high, destination.low,
                          UInt64(sourcePort) << 32 | UInt64(destinationPort) << 16 | UInt64(transport.ipProtocolNumber) << 2
                            | (source.isIPv6 ? 2 : 0) | (destination.isIPv6 ? 1 : 0))
    }
}
