/// The keys of the trace's socket, connect, egress and outcome lines, in one place: the value form
/// (`TraceJSON`), the byte writer (`TraceOutputBuffer`) and the event log reader's fast path
/// (`WireEventLineLayout`) all take their keys from here, and `connectOrder`, `egressOrder` and
/// `outcomeOrder` are the order the writers put them in, which the fast path reads straight
/// through. Tests hold both writers to these orders and run the tracer's own lines through the
/// fast path, so a key added or moved in one place cannot silently send every line to the slow one.
public enum TraceEventKey: String, CaseIterable, Sendable {
    case schema, event, hook, `final`, outcome
    case timeNs = "time_ns", pid, tid, comm, uid, cgroupID = "cgroup_id", cookie
    case socketFamily = "socket_family", wireProtocol = "wire_protocol", `protocol`
    case address, port, `class`, ipv4, scope, hookAddress = "hook_address"
    case nat64Prefix = "nat64_prefix", nat64PrefixSource = "nat64_prefix_source"
    case localAddress = "local_address", localPort = "local_port"
    case remoteAddress = "remote_address", remotePort = "remote_port", packets, bytes
    case elapsedNs = "elapsed_ns", synRetransmits = "syn_retransmits", rttMicroseconds = "rtt_us"
    case bytesSent = "bytes_sent", bytesReceived = "bytes_received", error, icmp, resetBy = "reset_by", group
    case state, v6only, cgroup, unit, container
    case lesson

    /// A connect, sendmsg or bind line; `ipv4` only when the address embeds one, the NAT64 prefix
    /// and its source only with prefixes beyond the built-in ones and an address under one.
    public static let connectOrder: [TraceEventKey] = [
        .schema, .event, .hook, .timeNs, .pid, .tid, .comm, .uid, .cgroupID, .cookie, .socketFamily, .protocol,
        .address, .port, .class, .ipv4, .scope, .nat64Prefix, .nat64PrefixSource, .hookAddress, .cgroup, .unit, .container, .lesson,
    ]
    public static let egressOrder: [TraceEventKey] = [
        .schema, .event, .final, .timeNs, .cookie, .pid, .comm, .socketFamily, .wireProtocol, .protocol,
        .localAddress, .localPort, .remoteAddress, .remotePort, .packets, .bytes, .cgroup, .unit, .container, .lesson,
    ]
    public static let outcomeOrder: [TraceEventKey] = [
        .schema, .event, .outcome, .timeNs, .cookie, .pid, .comm, .socketFamily, .protocol, .address, .port,
        .localAddress, .localPort, .elapsedNs, .synRetransmits, .rttMicroseconds, .bytesSent, .bytesReceived,
        .error, .icmp, .resetBy, .group, .cgroup, .unit, .container, .lesson,
    ]

    /// A socket open before the run (`TraceExistingSocket`); `ipv4` only when the peer embeds one.
    public static let socketOrder: [TraceEventKey] = [
        .schema, .event, .timeNs, .pid, .comm, .cgroupID, .cookie, .socketFamily, .protocol, .state, .v6only,
        .localAddress, .localPort, .remoteAddress, .remotePort, .class, .ipv4, .cgroup, .unit, .container,
    ]

    /// What comes before the key's value in a line: `,"time_ns":`. `"event":` has no comma, as it
    /// follows `TraceOutputBuffer.schemaPrefix`, which ends with one. A test holds each to `rawValue`.
    @inline(__always)
    var fragment: StaticString {
        switch self {
        case .schema: #","schema":"#
        case .event: #""event":"#
        case .hook: #","hook":"#
        case .final: #","final":"#
        case .outcome: #","outcome":"#
        case .timeNs: #","time_ns":"#
        case .pid: #","pid":"#
        case .tid: #","tid":"#
        case .comm: #","comm":"#
        case .uid: #","uid":"#
        case .cgroupID: #","cgroup_id":"#
        case .cookie: #","cookie":"#
        case .socketFamily: #","socket_family":"#
        case .wireProtocol: #","wire_protocol":"#
        case .protocol: #","protocol":"#
        case .address: #","address":"#
        case .port: #","port":"#
        case .class: #","class":"#
        case .ipv4: #","ipv4":"#
        case .scope: #","scope":"#
        case .hookAddress: #","hook_address":"#
        case .nat64Prefix: #","nat64_prefix":"#
        case .nat64PrefixSource: #","nat64_prefix_source":"#
        case .localAddress: #","local_address":"#
        case .localPort: #","local_port":"#
        case .remoteAddress: #","remote_address":"#
        case .remotePort: #","remote_port":"#
        case .packets: #","packets":"#
        case .bytes: #","bytes":"#
        case .elapsedNs: #","elapsed_ns":"#
        case .synRetransmits: #","syn_retransmits":"#
        case .rttMicroseconds: #","rtt_us":"#
        case .bytesSent: #","bytes_sent":"#
        case .bytesReceived: #","bytes_received":"#
        case .error: #","error":"#
        case .icmp: #","icmp":"#
        case .resetBy: #","reset_by":"#
        case .group: #","group":"#
        case .state: #","state":"#
        case .v6only: #","v6only":"#
        case .cgroup: #","cgroup":"#
        case .unit: #","unit":"#
        case .container: #","container":"#
        case .lesson: #","lesson":"#
        }
    }

    /// `fragment` as text, for tests.
    public var fragmentText: String { fragment.description }
}

extension TraceEventKey {
    /// The process's `cgroup`, `unit` and `container` (`ProcessCgroup.jsonPairs`), as event keys.
    static func cgroupPairs(_ cgroup: ProcessCgroup?) -> [(TraceEventKey, JSON)] {
        ProcessCgroup.jsonPairs(cgroup).map { (TraceEventKey(rawValue: $0.0)!, $0.1) }
    }
}

extension JSON {
    /// A trace event's object from pairs keyed by `TraceEventKey`.
    static func event(_ pairs: [(TraceEventKey, JSON)]) -> JSON {
        .object(pairs.map { ($0.0.rawValue, $0.1) })
    }
}
