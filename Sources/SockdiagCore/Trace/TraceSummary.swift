/// Counts over a whole trace, for the summary line and `"event":"summary"`.
public struct TraceSummary: Hashable, Sendable {
    public private(set) var events = 0
    public private(set) var hooks: [TraceHook: Int] = [:]
    public private(set) var classes: [AddressKind: Int] = [:]
    /// Sockets (by cookie) that were AF_INET6 with an IPv4-mapped peer or bind address.
    public private(set) var mappedSockets: Set<UInt64> = []
    /// Sockets with at least one packet on egress, by socket family and wire protocol.
    public private(set) var egressSockets: [TraceEgressPair: Int] = [:]
    public private(set) var lessons: [TraceLesson: Int] = [:]
    public var counters = TraceCounters()
    /// Connects and sends rewritten by --redirect.
    public internal(set) var redirects = 0
    /// Sockets with packets dropped by --block-ipv6.
    public internal(set) var blockedSockets = 0

    public init() {}

    public var egressSocketCount: Int { egressSockets.values.reduce(0, +) }

    /// A dual-stack surprise was seen: the exit status becomes 1.
    public var sawSurprise: Bool { !lessons.isEmpty }

    mutating func record(_ event: TraceEvent) {
        switch event {
        case let .socketCall(call):
            events += 1
            hooks[call.hook, default: 0] += 1
            classes[call.classification.kind, default: 0] += 1
            if call.isMapped { mappedSockets.insert(call.cookie) }
        case let .egress(egress):
            if !egress.isFinal {
                egressSockets[TraceEgressPair(egress.socketFamily, egress.wireProtocol), default: 0] += 1
            }
        }
    }

    mutating func record(_ lesson: TraceLesson) { lessons[lesson, default: 0] += 1 }
}

/// A socket family and the IP version its packets used: `inet6/ipv4`.
public struct TraceEgressPair: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let socketFamily: AddressFamily
    public let wireProtocol: TraceWireProtocol

    public init(_ socketFamily: AddressFamily, _ wireProtocol: TraceWireProtocol) {
        self.socketFamily = socketFamily
        self.wireProtocol = wireProtocol
    }

    public var description: String { "\(socketFamily.rawValue)/\(wireProtocol.rawValue)" }
    /// `inet6_ipv4`: the JSON key.
    public var key: String { "\(socketFamily.rawValue)_\(wireProtocol.rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.description < rhs.description }
}
