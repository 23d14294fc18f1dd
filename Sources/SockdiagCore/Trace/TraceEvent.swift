/// Who called and on which socket: the part every cgroup hook's event records the same way.
public struct TraceTaskContext: Hashable, Sendable {
    public let hook: TraceHook
    /// Wall-clock time of the hook, nanoseconds since the Unix epoch.
    public let timeNs: UInt64
    public let pid: Int32
    public let tid: Int32
    public let comm: String
    public let uid: UInt32
    public let cgroupID: UInt64
    /// The socket cookie: the same number in this socket's egress record.
    public let cookie: UInt64
    public let socketFamily: AddressFamily
    /// nil for anything but TCP and UDP (ICMP sockets, raw sockets).
    public let transport: TransportProtocol?
    /// The cgroup `cgroupID` is, with the workload it names; set by the reader that can look it up.
    public var cgroup: ProcessCgroup?

    public init(hook: TraceHook, timeNs: UInt64, pid: Int32, tid: Int32, comm: String, uid: UInt32, cgroupID: UInt64,
                cookie: UInt64, socketFamily: AddressFamily, transport: TransportProtocol?, cgroup: ProcessCgroup? = nil) {
        self.cgroup = cgroup
        self.hook = hook
        self.timeNs = timeNs
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.uid = uid
        self.cgroupID = cgroupID
        self.cookie = cookie
        self.socketFamily = socketFamily
        self.transport = transport
    }

    /// An address as the program passed it. An AF_INET6 socket reaches a `4` hook only with an
    /// IPv4 destination (a mapped `::ffff:a.b.c.d`, which the kernel un-maps before the hook), so
    /// it is shown mapped again: the socket is IPv6, the peer is IPv4.
    public func programForm(_ hookAddress: IPAddress) -> IPAddress {
        if socketFamily == .inet6, case let .v4(v4) = hookAddress { return .v6(IPv6Address(mapping: v4)) }
        return hookAddress
    }

    /// The JSON keys from `hook` to `protocol`, in the order docs/trace.md lists them.
    var jsonPairs: [(TraceEventKey, JSON)] {
        [
            (.hook, .string(hook.rawValue)),
            (.timeNs, .number(timeNs)),
            (.pid, .number(pid)),
            (.tid, .number(tid)),
            (.comm, .string(comm)),
            (.uid, .number(uid)),
            (.cgroupID, .number(cgroupID)),
            (.cookie, .number(cookie)),
            (.socketFamily, .string(socketFamily.rawValue)),
            (.protocol, .optional(transport?.rawValue)),
        ]
    }
}

/// A connect or send to an address under a NAT64 prefix, with the prefix.
public struct TraceNAT64Match: Hashable, Sendable {
    public let classification: AddressClassification
    public let prefix: NAT64KnownPrefix
}

/// A connect, unconnected send or bind, as a cgroup hook saw it. The caller and socket are in
/// `context`, read through as `call.pid`, `call.hook` and so on.
@dynamicMemberLookup
public struct TraceSocketCall: Hashable, Sendable {
    public var context: TraceTaskContext
    /// The address exactly as the hook received it (sendmsg4 on an AF_INET6 socket: `a.b.c.d`).
    public let hookAddress: IPAddress
    public let port: Port

    public init(_ context: TraceTaskContext, hookAddress: IPAddress, port: Port) {
        self.context = context
        self.hookAddress = hookAddress
        self.port = port
    }

    public subscript<Value>(dynamicMember path: KeyPath<TraceTaskContext, Value>) -> Value { context[keyPath: path] }

    // The context's fields read on every record, spelled out: a key path reads through a copy of
    // the whole context.
    public var hook: TraceHook { context.hook }
    public var timeNs: UInt64 { context.timeNs }
    public var pid: Int32 { context.pid }
    public var comm: String { context.comm }
    public var cgroupID: UInt64 { context.cgroupID }
    public var cookie: UInt64 { context.cookie }
    public var socketFamily: AddressFamily { context.socketFamily }
    public var transport: TransportProtocol? { context.transport }

    /// The address as the program passed it (see `TraceTaskContext.programForm`).
    public var address: IPAddress { context.programForm(hookAddress) }

    public var classification: AddressClassification { nat64.map { $0.classification } ?? address.classification }

    /// The prefix a NAT64 address is under, when trace was given or discovered prefixes beyond
    /// the built-in ones (`TraceSession` sets it).
    public var nat64: TraceNAT64Match?

    /// An AF_INET6 socket talking to an IPv4 peer: the dual-stack surprise.
    public var isMapped: Bool { context.socketFamily == .inet6 && classification.kind == .ipv4Mapped }
}

/// One socket's packets on egress: the socket's family against the IP version really sent.
public struct TraceEgress: Hashable, Sendable {
    public let cookie: UInt64
    /// When the socket's first packet left, nanoseconds since the Unix epoch.
    public let timeNs: UInt64
    /// The process holding the socket, and its cgroup: the one the kernel saw send on it last (from
    /// its own system call), else that of its connect or send, its holder at the start, or for an
    /// accepted socket its listener's; nil when none is known.
    public var pid: Int32?
    public var comm: String?
    public var cgroup: ProcessCgroup?
    /// The cgroup v2 id of the holder the kernel saw send (`pid` as the record came), for the reader
    /// to name its cgroup.
    public var holderCgroupID: UInt64?
    public let socketFamily: AddressFamily
    public let wireProtocol: TraceWireProtocol
    public let transport: TransportProtocol?
    public let local: SocketAddress
    public let remote: SocketAddress
    public let packets: UInt64
    public let bytes: UInt64
    /// false for the record sent with the socket's first packet, true for the totals at the end.
    public let isFinal: Bool

    public init(cookie: UInt64, timeNs: UInt64, pid: Int32?, comm: String?, socketFamily: AddressFamily,
                wireProtocol: TraceWireProtocol, transport: TransportProtocol?, local: SocketAddress,
                remote: SocketAddress, packets: UInt64, bytes: UInt64, isFinal: Bool) {
        self.cookie = cookie
        self.timeNs = timeNs
        self.pid = pid
        self.comm = comm
        self.socketFamily = socketFamily
        self.wireProtocol = wireProtocol
        self.transport = transport
        self.local = local
        self.remote = remote
        self.packets = packets
        self.bytes = bytes
        self.isFinal = isFinal
    }

    /// The socket's family and its packets' IP version disagree (AF_INET6 sending IPv4).
    public var familyDiffersFromWire: Bool { socketFamily != wireProtocol.addressFamily }
}

public enum TraceEvent: Hashable, Sendable {
    case socketCall(TraceSocketCall)
    case egress(TraceEgress)
    case outcome(TraceOutcome)

    public var cookie: UInt64 {
        switch self {
        case let .socketCall(call): return call.cookie
        case let .egress(egress): return egress.cookie
        case let .outcome(outcome): return outcome.cookie
        }
    }

    /// The cgroup of the event's process, when known.
    public var processCgroup: ProcessCgroup? {
        switch self {
        case let .socketCall(call): return call.context.cgroup
        case let .egress(egress): return egress.cgroup
        case let .outcome(outcome): return outcome.cgroup
        }
    }

    /// When it happened, nanoseconds since the Unix epoch.
    public var timeNs: UInt64 {
        switch self {
        case let .socketCall(call): return call.timeNs
        case let .egress(egress): return egress.timeNs
        case let .outcome(outcome): return outcome.timeNs
        }
    }
}

/// What the BPF side could not report, summed over CPUs.
public struct TraceCounters: Hashable, Sendable {
    /// Events dropped because the ring buffer was full.
    public var lostEvents: UInt64
    /// Sockets whose egress was not tracked because the per-socket map was full.
    public var egressUntracked: UInt64
    /// Packets sent under a listening socket (SYN-ACKs), before the accepted socket exists.
    public var egressUnattributed: UInt64

    public init(lostEvents: UInt64 = 0, egressUntracked: UInt64 = 0, egressUnattributed: UInt64 = 0) {
        self.lostEvents = lostEvents
        self.egressUntracked = egressUntracked
        self.egressUnattributed = egressUnattributed
    }
}
