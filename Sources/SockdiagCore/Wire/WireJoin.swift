/// How the kernel's view of a flow compares with the wire's.
enum WireVerdict: String, Hashable, Sendable, CaseIterable {
    /// Same IP version in the socket and on the wire.
    case same
    /// An AF_INET6 socket whose packets are IPv4: the dual-stack surprise.
    case ipv4Mapped = "ipv4-mapped"
    /// An AF_INET6 socket talking to a NAT64 prefix: IPv6 here, IPv4 after the gateway.
    case nat64
    /// An AF_INET socket whose packets left as IPv6 to a NAT64 prefix: a CLAT (464XLAT) translated
    /// them. The mirror of `ipv4-mapped`.
    case clat
    /// The kernel saw it, the capture did not: blocked, another interface, or not sent yet.
    case kernelOnly = "kernel-only"
    /// On the wire, but from no traced socket.
    case wireOnly = "wire-only"
    /// A UDP socket connected and closed with nothing sent: glibc's getaddrinfo does this for each
    /// candidate address, to learn which source address the kernel would pick (RFC 6724
    /// ordering). The kernel ran a connect hook; no packet was meant to leave. Not a discrepancy.
    case addressProbe = "address-probe"

    /// The socket's family and the wire's IP version differ: what makes compare-wire exit 1.
    var familyDiffers: Bool {
        switch self {
        case .ipv4Mapped, .clat: return true
        default: return false
        }
    }

    /// The raw value as fixed text, for per-row writers.
    var name: StaticString {
        switch self {
        case .same: return "same"
        case .ipv4Mapped: return "ipv4-mapped"
        case .nat64: return "nat64"
        case .clat: return "clat"
        case .kernelOnly: return "kernel-only"
        case .wireOnly: return "wire-only"
        case .addressProbe: return "address-probe"
        }
    }

    /// Position in `allCases`; cases compare by tag, not by raw-value string.
    var index: Int { WireVerdict.order.firstIndex(of: self)! }

    /// `allCases` made once: the synthesized one builds a new array each time it is read.
    private static let order = allCases
}

extension AddressFamily {
    /// Matched by case, not compared through raw-value strings, for per-flow paths.
    var wireIsInet6: Bool { if case .inet6 = self { return true } else { return false } }
}

/// The kernel's side of one row: a connect or send, or (for a socket seen only on egress, such as
/// an accepted one) what egress reported.
struct WireKernelView: Sendable, Equatable {
    var cookie: UInt64
    var pid: UInt32?
    var comm: WireComm
    var hook: TraceHook?
    var socketFamily: AddressFamily
    var transport: TransportProtocol?
    /// The peer as the socket holds it (`::ffff:10.0.0.2` on a dual-stack socket).
    var address: WireAddress
    var port: UInt16
    /// The socket's own end, from egress, when known.
    var localAddress: WireAddress?
    var localPort: UInt16?
    /// How the socket's connect and connection ended, from trace's outcome records.
    var outcome: WireOutcome?
    /// The peer is under a NAT64 prefix given, discovered or learned (beyond the built-in ones).
    var underNAT64Prefix = false

    var addressKind: AddressKind { underNAT64Prefix ? .nat64 : address.ipAddress.classification.kind }
}

struct WireJoinedFlow: Sendable, Equatable {
    var kernel: WireKernelView?
    var wire: WireFlow?
    var verdict: WireVerdict
    /// The wire flow's index in the flow table.
    var wireIndex: Int?
    /// The other side of a translation (the IPv6 side of a CLAT's flow, the IPv4 side of a
    /// NAT64's), when the capture saw both.
    var translated: WireFlow?
    var translatedIndex: Int?
    var translation: WireTranslationView?

    init(kernel: WireKernelView?, wire: WireFlow?, verdict: WireVerdict, wireIndex: Int? = nil,
                translated: WireFlow? = nil, translatedIndex: Int? = nil, translation: WireTranslationView? = nil) {
        self.kernel = kernel
        self.wire = wire
        self.verdict = verdict
        self.wireIndex = wireIndex
        self.translated = translated
        self.translatedIndex = translatedIndex
        self.translation = translation
    }

    /// The flow as it was sent, then as the translator sent it on.
    var beforeAndAfterTranslation: (before: WireFlow, after: WireFlow)? {
        guard let wire, let translated, let translation else { return nil }
        let ipv4 = wire.key.isIPv6 ? translated : wire, ipv6 = wire.key.isIPv6 ? wire : translated
        return translation.kind == .clat ? (ipv4, ipv6) : (ipv6, ipv4)
    }

    /// The socket is AF_INET6 and its packets are IPv4 (or the reverse): the thing to report.
    var familyDiffers: Bool { verdict.familyDiffers }
}

public struct WireJoinResult: Sendable {
    var flows: WireJoinedFlows
    /// The NAT64 prefixes the join used: built in, given, discovered, and learned from its packets.
    var nat64: NAT64Prefixes { flows.nat64 }
    /// For each wire flow (by its index in the flow table), the row that holds it.
    var rowOfWireFlow: [Int]

    /// The report's rows.
    public var rowCount: Int { flows.count }

    func count(_ verdict: WireVerdict) -> Int { counts[verdict.index] }

    /// Flows per verdict, indexed by `WireVerdict.index`.
    var counts: [Int] {
        var counts = [Int](repeating: 0, count: WireVerdict.allCases.count)
        for row in flows.rows { counts[row.verdict.index] += 1 }
        return counts
    }

    public var exitStatus: ExitStatus { flows.rows.contains(where: \.verdict.familyDiffers) ? .problemFound : .ok }
}

/// Joins the kernel's sockets with the capture's flows. A socket's egress record gives its local
/// port, which tells apart flows to the same destination exactly; without one, a connect takes
/// the earliest unclaimed flow to its destination. Three phases, each claiming flows the next
/// cannot take (`WireJoinInProgress`), then the rows in report order.
public enum WireJoin {
    public static func join(kernel: WireKernelTable, wire: WireFlowTable, found: Lookups = Lookups(),
                            nat64: NAT64Prefixes = .builtIn) -> WireJoinResult {
        var join = WireJoinInProgress(kernel: kernel, wire: wire, nat64: nat64)
        join.joinIntentsByTheirEgress(found)
        join.joinSocketsSeenOnlyOnEgress(found)
        join.joinIntentsWithoutEgressByDestination()
        join.labelAddressProbes()
        join.joinTranslations()
        return join.result()
    }

    /// The kernel side of a connect or send.
    static func view(of intent: WireKernelIntent) -> WireKernelView {
        WireKernelView(cookie: intent.cookie, pid: intent.pid, comm: intent.comm, hook: intent.hook,
                       socketFamily: intent.socketFamily, transport: intent.transport,
                       address: intent.address, port: intent.port)
    }

    /// The kernel side of a socket seen only on egress: its peer as the socket holds it.
    static func view(of egress: WireEgress) -> WireKernelView {
        let family = egress.socketFamily ?? (egress.wireIsIPv6 ? .inet6 : .inet)
        var remote = egress.remoteAddress
        if family.wireIsInet6 && !remote.isIPv6 { remote = WireAddress(IPv6Address(mapping: IPv4Address(UInt32(truncatingIfNeeded: remote.low)))) }
        return WireKernelView(cookie: egress.cookie, pid: egress.pid, comm: egress.comm, hook: nil,
                              socketFamily: family, transport: egress.transport, address: remote,
                              port: egress.remotePort, localAddress: egress.localAddress,
                              localPort: egress.localPort)
    }

    static func verdict(_ kernel: WireKernelView, _ wire: WireFlow, nat64: NAT64Prefixes) -> WireVerdict {
        if kernel.socketFamily.wireIsInet6 && !wire.key.isIPv6 { return .ipv4Mapped }
        if kernel.address.isIPv6, case .nat64 = kernel.addressKind { return .nat64 }
        if kernel.address.isIPv6, !nat64.isBuiltIn, case .v6(let address) = kernel.address.ipAddress,
           nat64.match(address) != nil { return .nat64 }
        return .same
    }

    struct Destination: Hashable {
        var address: WireAddress
        var port: UInt16
        var transport: TransportProtocol

        init(address: WireAddress, port: UInt16, transport: TransportProtocol) {
            self.address = address
            self.port = port
            self.transport = transport
        }

        init(_ key: WireFlowKey) { self.init(address: key.destination, port: key.destinationPort, transport: key.transport) }
    }

    /// The 5-tuple a connect or send joins by: its destination, the local end from its socket's
    /// egress record, TCP when neither says.
    static func key(of intent: WireKernelIntent, _ egress: WireEgress) -> WireFlowKey? {
        exactKey(transport: intent.transport ?? egress.transport ?? .tcp, local: egress.localAddress,
                 localPort: egress.localPort, remote: intent.address, remotePort: intent.port)
    }

    /// The 5-tuple of a socket seen on egress, TCP when the record does not say.
    static func key(of egress: WireEgress) -> WireFlowKey? {
        exactKey(transport: egress.transport ?? .tcp, local: egress.localAddress, localPort: egress.localPort,
                 remote: egress.remoteAddress, remotePort: egress.remotePort)
    }

    private static func exactKey(transport: TransportProtocol, local: WireAddress, localPort: UInt16,
                                 remote: WireAddress, remotePort: UInt16) -> WireFlowKey? {
        let local = local.unmapped, remote = remote.unmapped
        guard local.isIPv6 == remote.isIPv6 else { return nil }
        return WireFlowKey(transport: transport, source: local, sourcePort: localPort,
                           destination: remote, destinationPort: remotePort)
    }

    static func withTransport(_ key: WireFlowKey, _ transport: TransportProtocol) -> WireFlowKey {
        var k = key
        k.transport = transport
        return k
    }

    /// The flow a connect or send joins: the nearest unclaimed one of its 5-tuple (`key`), then,
    /// when the transport is unknown, of the same 5-tuple in UDP. `ahead` is `key`'s latest flow
    /// when it was found ahead (`Lookups`).
    static func lookup(_ wire: WireFlowTable, _ claimed: [Bool], key: WireFlowKey?, transportKnown: Bool,
                       family: AddressFamily, time: UInt64?, ahead: Lookups.Found) -> Int? {
        guard let key else { return nil }
        // An AF_INET socket never sends IPv6: a flow of its 5-tuple in IPv6 is someone else's.
        if !family.wireIsInet6 && key.isIPv6 { return nil }
        let unclaimed = { (index: Int) in !claimed[index] }
        let first = wire.flows(ahead, of: key, near: time, where: unclaimed)
        if let index = first.nearest { return index }
        guard !transportKnown else { return nil }
        return wire.flowIndex(for: withTransport(key, .udp), near: time, where: unclaimed)
    }
}
