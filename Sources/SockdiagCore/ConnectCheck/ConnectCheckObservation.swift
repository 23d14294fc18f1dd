/// Where one resolver answer came from.
public enum AnswerSource: Hashable, Sendable {
    /// HOST was an address: no lookup.
    case literal
    /// A line of /etc/hosts.
    case hostsFile(path: String, line: Int, text: String)
    /// The name service after `files` in nsswitch.conf (`dns`, `myhostname`, `resolve`, ...).
    case nameService(String)
    /// Not among the resolver's answers: a client that resolves by itself adds it (curl's localhost).
    case client(String)

    public var text: String {
        switch self {
        case .literal: return "literal"
        case let .hostsFile(path, line, _): return "\(path):\(line)"
        case let .nameService(name): return name
        case let .client(name): return name
        }
    }
}

/// What the kernel's route lookup (RTM_GETROUTE) says about one destination.
public struct RouteAnswer: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        /// An address of this host: the connection goes through lo to a local socket.
        case local
        /// Leaves through an interface.
        case unicast
        /// No route, or an unreachable/prohibit/blackhole route.
        case unreachable
    }

    public let kind: Kind
    public let interface: String?
    public let gateway: IPAddress?
    /// The source address the kernel picks (the route's preferred source).
    public let source: IPAddress?
    /// The prefix length of `source` on its interface (glibc's rule 9 uses it for IPv4).
    public let sourcePrefixLength: Int?
    /// Why it is unreachable: the route type or the errno of the lookup.
    public let detail: String?

    public init(kind: Kind, interface: String? = nil, gateway: IPAddress? = nil, source: IPAddress? = nil,
                sourcePrefixLength: Int? = nil, detail: String? = nil) {
        self.kind = kind
        self.interface = interface
        self.gateway = gateway
        self.source = source
        self.sourcePrefixLength = sourcePrefixLength
        self.detail = detail
    }
}

/// What a real connect (or datagram) to one address found.
public struct ProbeResult: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        /// TCP: the handshake completed; UDP: no port-unreachable came back.
        case accepted
        /// ECONNREFUSED (a RST, or an ICMP port unreachable for UDP).
        case refused
        /// No answer within the probe's time.
        case timedOut
        case failed(Errno)
    }

    public let address: IPAddress
    public let outcome: Outcome
    /// The client end of the probe (`127.0.0.1:53124`).
    public let client: SocketAddress?
    /// The socket that took the connection: found by its 4-tuple (TCP), with its owners.
    public let acceptedBy: BindCheckSocket?
    /// When no process holds the accepted socket yet (still in the listener's accept queue).
    public let note: String?

    public init(address: IPAddress, outcome: Outcome, client: SocketAddress? = nil, acceptedBy: BindCheckSocket? = nil, note: String? = nil) {
        self.address = address
        self.outcome = outcome
        self.client = client
        self.acceptedBy = acceptedBy
        self.note = note
    }
}

/// Everything connect-check gathers from the system, before analysis.
public struct ConnectCheckObservation: Sendable {
    public var query: ConnectCheckQuery
    /// getaddrinfo(AF_UNSPEC, AI_ADDRCONFIG), in glibc's order.
    public var resolved: [IPAddress]
    /// getaddrinfo(AF_UNSPEC) without AI_ADDRCONFIG, as Python, curl and Java ask.
    public var resolvedWithoutAddrconfig: [IPAddress]
    public var hosts: HostsFile?
    public var nameServices: NameServiceOrder
    /// The contents of /etc/gai.conf; nil when there is none.
    public var gaiConf: String?
    /// Route lookups for every address any client may try.
    public var routes: [IPAddress: RouteAnswer]
    /// Sockets that accept new clients on the port, with their owners.
    public var sockets: [BindCheckSocket]
    /// net.ipv6.bindv6only: the V6ONLY of AF_INET6 sockets whose flag could not be read.
    public var defaultV6only: Bool
    /// Whether this host can make IPv6 sockets (curl's check before it adds ::1 for localhost).
    public var ipv6Works: Bool
    public var netns: String?
    /// --probe results by address; nil without --probe.
    public var probes: [IPAddress: ProbeResult]?
    public var kernel: String
    /// The interface that holds each local address: a local client of that address is matched
    /// against it, not lo, as bind-check matches it (BindCheckKernel.arrivingDevice).
    public var addressDevices: [IPAddress: String] = [:]

    public init(query: ConnectCheckQuery, resolved: [IPAddress], resolvedWithoutAddrconfig: [IPAddress], hosts: HostsFile?,
                nameServices: NameServiceOrder, gaiConf: String?, routes: [IPAddress: RouteAnswer], sockets: [BindCheckSocket],
                defaultV6only: Bool, ipv6Works: Bool = true, netns: String? = nil, probes: [IPAddress: ProbeResult]? = nil, kernel: String = "") {
        self.query = query
        self.resolved = resolved
        self.resolvedWithoutAddrconfig = resolvedWithoutAddrconfig
        self.hosts = hosts
        self.nameServices = nameServices
        self.gaiConf = gaiConf
        self.routes = routes
        self.sockets = sockets
        self.defaultV6only = defaultV6only
        self.ipv6Works = ipv6Works
        self.netns = netns
        self.probes = probes
        self.kernel = kernel
    }

    public var hostName: String? { if case let .name(name) = query.host { return name } else { return nil } }

    /// curl (7.78 and later) answers `localhost` and `*.localhost` itself, without the resolver.
    public var isLocalhostName: Bool {
        guard let name = hostName?.lowercased() else { return false }
        return name == "localhost" || name.hasSuffix(".localhost")
    }

    /// Every address some client may try, in resolution order first: what the route lookups and
    /// probes must cover.
    public static func addressesToExamine(query: ConnectCheckQuery, resolved: [IPAddress], withoutAddrconfig: [IPAddress],
                                          ipv6Works: Bool) -> [IPAddress] {
        var all = resolved
        for a in withoutAddrconfig where !all.contains(a) { all.append(a) }
        if case let .name(name) = query.host, name.lowercased() == "localhost" || name.lowercased().hasSuffix(".localhost") {
            for a in ConnectCheckClients.curlLocalhost(ipv6Works: ipv6Works) where !all.contains(a) { all.append(a) }
        }
        return all
    }
}
