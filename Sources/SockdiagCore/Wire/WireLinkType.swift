/// The link layers the decoder understands, named as tcpdump and libpcap name them.
public enum WireLinkType: String, Hashable, Sendable, CaseIterable {
    /// Ethernet (DLT_EN10MB), with any number of 802.1Q/802.1ad tags.
    case ethernet = "EN10MB"
    /// Linux cooked capture v1, what `tcpdump -i any` wrote before libpcap 1.10.
    case linuxCooked = "LINUX_SLL"
    /// Linux cooked capture v2, what `-i any` gives with libpcap 1.10 and later.
    case linuxCooked2 = "LINUX_SLL2"
    /// Bare IP packets; the version nibble tells IPv4 from IPv6.
    case raw = "RAW"
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    case null = "NULL"
    /// OpenBSD loopback: the same family in network byte order.
    case loop = "LOOP"

    /// From the DLT value `pcap_datalink` returns. LINKTYPE_RAW (101), DLT_RAW on the BSDs (14),
    /// and LINKTYPE_IPV4/IPV6 (228/229) are all bare IP.
    public init?(dataLinkType value: Int32) {
        switch value {
        case 1: self = .ethernet
        case 113: self = .linuxCooked
        case 276: self = .linuxCooked2
        case 12, 14, 101, 228, 229: self = .raw
        case 0: self = .null
        case 108: self = .loop
        default: return nil
        }
    }

    /// The LINKTYPE_ value a pcapng interface description block carries.
    var pcapLinkType: UInt16 {
        switch self {
        case .ethernet: return 1
        case .linuxCooked: return 113
        case .linuxCooked2: return 276
        case .raw: return 101
        case .null: return 0
        case .loop: return 108
        }
    }

    public static var supportedNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// Why a packet did not count towards a flow. Every packet is either in a flow or counted here.
public enum WireSkipReason: Int, Hashable, Sendable, CaseIterable {
    /// Cut off before the ports (snapshot length too small, or a short packet).
    case truncated
    /// Not IP: ARP, LLDP, an unknown EtherType or address family.
    case notIP
    /// IP, but neither TCP nor UDP (ICMP, ESP, ...), or an extension header chain too long to follow.
    case otherTransport
    /// An IPv4 or IPv6 fragment after the first: only the first carries the ports.
    case laterFragment
    /// A header that contradicts itself or the capture: a bad version, a header length shorter
    /// than the minimum, a total length larger than the packet.
    case malformed

    var key: String {
        switch self {
        case .truncated: return "truncated"
        case .notIP: return "not_ip"
        case .otherTransport: return "other_transport"
        case .laterFragment: return "later_fragment"
        case .malformed: return "malformed"
        }
    }
}

/// Per-reason counts of skipped packets, fixed size so counting never allocates.
public struct WireSkipCounts: Equatable, Sendable {
    private(set) var truncated: UInt64 = 0
    private(set) var notIP: UInt64 = 0
    private(set) var otherTransport: UInt64 = 0
    private(set) var laterFragment: UInt64 = 0
    private(set) var malformed: UInt64 = 0

    init() {}

    @inline(__always)
    mutating func count(_ reason: WireSkipReason) {
        switch reason {
        case .truncated: truncated += 1
        case .notIP: notIP += 1
        case .otherTransport: otherTransport += 1
        case .laterFragment: laterFragment += 1
        case .malformed: malformed += 1
        }
    }

    subscript(reason: WireSkipReason) -> UInt64 {
        switch reason {
        case .truncated: return truncated
        case .notIP: return notIP
        case .otherTransport: return otherTransport
        case .laterFragment: return laterFragment
        case .malformed: return malformed
        }
    }

    var total: UInt64 { truncated + notIP + otherTransport + laterFragment + malformed }
}
