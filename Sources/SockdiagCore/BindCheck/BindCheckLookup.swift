/// Who a receiver is: a socket that exists now, or the one about to be bound.
public enum BindCheckReceiverID: Hashable, Sendable {
    case existing(inode: UInt64)
    case newSocket
}

/// A socket that new clients can reach: a TCP listener or an unconnected UDP socket.
public struct BindCheckCandidate: Hashable, Sendable {
    public let id: BindCheckReceiverID
    /// V6ONLY resolved (an unknown one replaced by the system default).
    public let binding: BindCheckBinding
    /// SO_BINDTODEVICE's interface, nil when unbound or unknown.
    public let boundDevice: String?
    /// SO_REUSEPORT, nil when unknown.
    public let reuseport: Bool?
    /// The socket's owner uid (`sk_uid`): a SO_REUSEPORT group never crosses uids. nil when unknown.
    public let uid: UInt32?
    /// Where it sits in its lookup chain: smaller is nearer the head (BindCheckKernel.entersAtTail).
    public let chainPosition: Int
    /// Its SO_REUSEPORT group has a connect()ed UDP member (`reuseport_has_conns()`).
    public let groupHasConnections: Bool
    /// `sk_incoming_cpu` (BindCheckKernel.score), nil when none.
    public let incomingCPU: Int?

    public init(id: BindCheckReceiverID, binding: BindCheckBinding, boundDevice: String? = nil, reuseport: Bool? = nil,
                uid: UInt32? = nil, chainPosition: Int = 0, groupHasConnections: Bool = false, incomingCPU: Int? = nil) {
        self.incomingCPU = incomingCPU
        self.id = id
        self.binding = binding
        self.boundDevice = boundDevice
        self.reuseport = reuseport
        self.uid = uid
        self.chainPosition = chainPosition
        self.groupHasConnections = groupHasConnections
    }
}

/// Where a client's connection (or first datagram) to one destination would land.
public enum BindCheckReception: Hashable, Sendable {
    /// Nobody accepts it: the client gets ECONNREFUSED (TCP) or an ICMP port unreachable (UDP).
    case refused(why: String)
    case one(BindCheckReceiverID, why: String)
    /// Several sockets share the address (a SO_REUSEPORT group): each connection goes to one.
    case oneOf([BindCheckReceiverID], why: String)
    /// The client cannot even send: its connect() fails on this host before any lookup (no IPv6
    /// address at all, IPv6 off on lo), whatever listens.
    case unreachable(why: String)

    public var receivers: [BindCheckReceiverID] {
        switch self {
        case .refused, .unreachable: return []
        case let .one(id, _): return [id]
        case let .oneOf(ids, _): return ids
        }
    }

    public var why: String {
        switch self {
        case let .refused(why), let .one(_, why), let .oneOf(_, why), let .unreachable(why): return why
        }
    }
}

/// Which socket receives a client, from the rules in BindCheckKernel, with the reason in words.
public enum BindCheckLookup {
    /// `destination` as a client on this host reaches it: the lookup compares devices against
    /// the one holding the address (BindCheckKernel.arrivingDevice), lo for loopback addresses.
    public static func reception(of destination: IPAddress, among all: [BindCheckCandidate], system: BindCheckSystem,
                                 transport: TransportProtocol = .tcp) -> BindCheckReception {
        reception(of: destination, arrivingOn: BindCheckKernel.arrivingDevice(of: destination, on: system), among: all,
                  transport: transport, cpus: system.cpus)
    }

    /// The same for a client whose packets arrive on lo (loopback destinations).
    public static func reception(of destination: IPAddress, among all: [BindCheckCandidate],
                                 transport: TransportProtocol = .tcp) -> BindCheckReception {
        reception(of: destination, arrivingOn: loopbackDevice, among: all, transport: transport)
    }

    /// Which socket receives a connection (or first datagram) to `destination` arriving on
    /// `device`: the listener lookup a client of this host, or one across `device`, meets. Where
    /// a socket's incoming CPU changes the answer, every socket some CPU's lookup picks, and why
    /// (`cpus`: how many CPUs may run the lookup, nil when unknown).
    public static func reception(of destination: IPAddress, arrivingOn device: String, among all: [BindCheckCandidate],
                                 transport: TransportProtocol = .tcp, cpus: Int? = nil) -> BindCheckReception {
        let perCPU = BindCheckKernel.distinctCPUs(all, cpus: cpus).map { cpu in
            (cpu, reception(of: destination, arrivingOn: device, among: all, transport: transport, cpu: cpu))
        }
        guard let (_, first) = perCPU.first else { return reception(of: destination, arrivingOn: device, among: all, transport: transport, cpu: nil) }
        guard perCPU.contains(where: { Set($0.1.receivers) != Set(first.receivers) }) else { return perCPU.last!.1 }
        var ids: [BindCheckReceiverID] = []
        for (_, reception) in perCPU { ids += reception.receivers.filter { !ids.contains($0) } }
        func named(_ reception: BindCheckReception) -> String {
            reception.receivers.map { id in
                guard let c = all.first(where: { $0.id == id }) else { return "the new socket" }
                let inode: String
                if case let .existing(number) = id { inode = " (inode \(number))" } else { inode = " (the new socket)" }
                return c.binding.addressText + (c.boundDevice.map { " on \($0)" } ?? "") + inode
            }.joined(separator: " or ")
        }
        let cases = perCPU.map { cpu, reception in "\(cpu.map { "on CPU \($0)" } ?? "on any other CPU"): \(named(reception))" }
        return .oneOf(ids, why: "it depends on the CPU that handles the packet: the kernel scores a socket one point higher on the CPU that last handled a packet of its own (sk_incoming_cpu), so "
                      + cases.joined(separator: "; "))
    }

    /// The lookup on one CPU (nil: a CPU no socket names as its incoming CPU).
    private static func reception(of destination: IPAddress, arrivingOn device: String, among all: [BindCheckCandidate],
                                  transport: TransportProtocol, cpu: Int?) -> BindCheckReception {
        guard let decision = BindCheckKernel.lookup(destination, device: device, among: all, transport: transport, cpu: cpu) else {
            return refusal(destination, all, device: device)
        }
        let d = destination.unmapped
        let winner = decision.winner
        var why: String
        if decision.exact {
            why = "bound to \(d) exactly"
        } else if d.family == .inet {
            why = "the wildcard \(winner.binding.addressText) takes IPv4 \(d)"
        } else {
            why = "the wildcard [::] takes every IPv6 address"
        }
        if winner.binding.family == .inet6, case .v4 = d { why += " (dual-stack, IPV6_V6ONLY=0, as ::ffff:\(d))" }
        if decision.exact && all.contains(where: { $0.binding.isWildcard && BindCheckKernel.lookup(destination, device: device, among: [$0], transport: transport, cpu: cpu) != nil }) {
            why += "; an exact address beats the wildcard"
        }
        if let higher = decision.skippedHigher.first {
            why += "; the kernel stops at the first SO_REUSEPORT socket that scores, before \(higher.binding.addressText)\(higher.boundDevice.map { " on \($0)" } ?? "") further down the chain (an AF_INET6 SO_REUSEPORT socket sits at the tail)"
        } else if let lower = decision.outscored.first {
            if winner.boundDevice != nil && lower.boundDevice == nil {
                why += "; a socket bound to the arriving device (\(device)) scores higher"
            } else if winner.binding.family == .inet && lower.binding.family == .inet6 {
                why += "; an AF_INET socket beats a dual-stack AF_INET6 one for IPv4"
            }
        }
        if !decision.tiedBehind.isEmpty {
            let ahead = BindCheckKernel.entersAtTail(family: winner.binding.family, reuseport: winner.reuseport == true) ? "it entered first" : "it came last"
            let rivals = decision.tiedBehind.map { $0.binding.addressText + ($0.reuseport == true ? " (another SO_REUSEPORT group)" : "") }
            why += "; it ties with \(rivals.joined(separator: ", ")) and sits ahead in the chain (\(ahead)), and ties go to the first"
        }
        if decision.group.count == 1 { return .one(winner.id, why: why) }
        let share = transport == .tcp
            ? "; \(decision.group.count) sockets share it (a SO_REUSEPORT group): the kernel picks one per connection by a hash of the client's address and port"
            : "; \(decision.group.count) sockets share it (a SO_REUSEPORT group): the kernel picks one per flow by a hash of the client's address and port"
        return .oneOf(decision.group.map(\.id), why: why + share)
    }

    private static func refusal(_ destination: IPAddress, _ candidates: [BindCheckCandidate], device: String) -> BindCheckReception {
        let d = destination.unmapped
        let elsewhere = candidates.filter { $0.boundDevice != nil && $0.boundDevice != device }
        let deviceNote = elsewhere.isEmpty ? "" : " (\(elsewhere.map { "\($0.binding.addressText) is bound to \($0.boundDevice!)" }.joined(separator: ", ")), and the client arrives on \(device))"
        if case let .v4(a) = d {
            let v6onlyWildcards = candidates.contains { $0.binding.family == .inet6 && $0.binding.address.isUnspecified && $0.binding.v6only == true }
            if v6onlyWildcards && !candidates.contains(where: { $0.binding.ipv4Side == a || $0.binding.ipv4Side == .any }) {
                return .refused(why: "nothing takes IPv4 \(a): the [::] socket is IPV6_V6ONLY=1")
            }
            return .refused(why: "nothing is bound to \(a) or 0.0.0.0 (or a dual-stack [::])" + deviceNote)
        }
        let hasIPv4 = candidates.contains { $0.binding.family == .inet }
        let six = candidates.contains { $0.binding.family == .inet6 }
        return .refused(why: (hasIPv4 && !six ? "nothing takes IPv6 \(d): only AF_INET sockets are bound (they never receive IPv6)"
                                              : "nothing is bound to \(d) or [::]") + deviceNote)
    }

    public static let loopbackDevice = BindCheckKernel.loopbackDevice

    /// Whether `ids` hold several SO_REUSEPORT groups (never for one reception: the lookup answers
    /// with one group).
    public static func formSeveralGroups(_ ids: [BindCheckReceiverID], among candidates: [BindCheckCandidate]) -> Bool {
        let members = candidates.filter { ids.contains($0.id) && $0.reuseport == true }
        guard let first = members.first else { return false }
        return members.contains { !BindCheckKernel.sameGroup($0, first) }
    }
}
