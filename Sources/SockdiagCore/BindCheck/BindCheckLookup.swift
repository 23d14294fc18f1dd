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

    public init(id: BindCheckReceiverID, binding: BindCheckBinding, boundDevice: String? = nil, reuseport: Bool? = nil,
                uid: UInt32? = nil) {
        self.id = id
        self.binding = binding
        self.boundDevice = boundDevice
        self.reuseport = reuseport
        self.uid = uid
    }

    /// Sockets that can form one SO_REUSEPORT group share these (and the address).
    var groupKey: String { "\(binding.family) \(binding.v6only ?? false) \(boundDevice ?? "") \(uid.map(String.init) ?? "")" }
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

/// Linux's listener lookup (`__inet_lookup_listener`, `inet6_lookup_listener`, and the UDP
/// `udp4_lib_lookup2`/`udp6_lib_lookup2`): a socket bound to the exact destination address is
/// looked for first and wins over any wildcard; among equals an AF_INET socket scores higher than
/// an AF_INET6 one for IPv4; a V6ONLY socket never receives IPv4; sockets tied on the best score
/// form a SO_REUSEPORT group, one of which gets each connection.
public enum BindCheckLookup {
    /// `destination` as a client on this host reaches it: through the loopback device, so a socket
    /// bound to another device (SO_BINDTODEVICE) never gets it, and one bound to lo scores higher.
    public static func reception(of destination: IPAddress, among all: [BindCheckCandidate],
                                 transport: TransportProtocol = .tcp) -> BindCheckReception {
        let candidates = all.filter { $0.boundDevice == nil || $0.boundDevice == loopbackDevice }
        switch destination.unmapped {
        case let .v4(d): return receptionIPv4(d, candidates, transport)
        case let .v6(d): return receptionIPv6(d, candidates, transport)
        }
    }

    private static func receptionIPv4(_ d: IPv4Address, _ candidates: [BindCheckCandidate],
                                      _ transport: TransportProtocol) -> BindCheckReception {
        let exact = candidates.filter { d != .any && $0.binding.ipv4Side == d }
        let wildcard = candidates.filter { $0.binding.ipv4Side == .any }
        let v6onlyWildcards = candidates.filter { $0.binding.family == .inet6 && $0.binding.address.isUnspecified && $0.binding.v6only == true }
        for (pass, others) in [(exact, wildcard), (wildcard, [])] where !pass.isEmpty {
            if let split = reuseportGroups(pass, transport) { return split }
            let top = pass.map { score($0) }.max()!
            let winners = pass.filter { score($0) == top }
            var why = pass.first!.binding.ipv4Side == .any ? "the wildcard \(winners[0].binding.addressText) takes IPv4 \(d)" : "bound to \(d) exactly"
            if winners[0].binding.family == .inet6 { why += " (dual-stack, IPV6_V6ONLY=0, as ::ffff:\(d))" }
            if !others.isEmpty { why += "; an exact address beats the wildcard" }
            if winners.contains(where: { $0.boundDevice != nil }) && winners.count < pass.count {
                why += "; a socket bound to the arriving device (lo) scores higher"
            } else if winners.count < pass.count {
                why += "; an AF_INET socket beats a dual-stack AF_INET6 one for IPv4"
            }
            return decide(winners, why: why, transport)
        }
        if !v6onlyWildcards.isEmpty {
            return .refused(why: "nothing takes IPv4 \(d): the [::] socket is IPV6_V6ONLY=1")
        }
        return .refused(why: "nothing is bound to \(d) or 0.0.0.0 (or a dual-stack [::])")
    }

    private static func receptionIPv6(_ d: IPv6Address, _ candidates: [BindCheckCandidate],
                                      _ transport: TransportProtocol) -> BindCheckReception {
        let six = candidates.filter { $0.binding.family == .inet6 }
        let exact = six.filter { if case let .v6(a) = $0.binding.address { return a.withoutZone == d.withoutZone && !$0.binding.address.isUnspecified } else { return false } }
        let wildcard = six.filter { $0.binding.address.isUnspecified }
        if !exact.isEmpty {
            if let split = reuseportGroups(exact, transport) { return split }
            return decide(best(exact), why: "bound to \(d.withoutZone) exactly" + (wildcard.isEmpty ? "" : "; an exact address beats the wildcard"), transport)
        }
        if !wildcard.isEmpty {
            if let split = reuseportGroups(wildcard, transport) { return split }
            return decide(best(wildcard), why: "the wildcard [::] takes every IPv6 address", transport)
        }
        let hasIPv4 = candidates.contains { $0.binding.family == .inet }
        return .refused(why: hasIPv4 ? "nothing takes IPv6 \(d.withoutZone): only AF_INET sockets are bound (they never receive IPv6)"
                                     : "nothing is bound to \(d.withoutZone) or [::]")
    }

    public static let loopbackDevice = "lo"

    /// compute_score(): 1, +1 when bound to the arriving device, +1 for AF_INET (IPv4 only).
    private static func score(_ candidate: BindCheckCandidate, ipv4: Bool = true) -> Int {
        (candidate.boundDevice != nil ? 2 : 1) + (ipv4 && candidate.binding.family == .inet ? 1 : 0)
    }

    /// The kernel hands a connection to the SO_REUSEPORT group of the first socket it meets in the
    /// hash chain that scores higher than those before it, without looking further: with several
    /// groups, which one answers depends on the order they started listening.
    private static func reuseportGroups(_ pass: [BindCheckCandidate], _ transport: TransportProtocol) -> BindCheckReception? {
        let grouped = pass.filter { $0.reuseport == true }
        let groups = Set(grouped.map(\.groupKey)).count
        guard groups > 1 else { return nil }
        let uids = Set(grouped.compactMap(\.uid)).sorted()
        let apart = uids.count > 1 ? "uids \(uids.map(String.init).joined(separator: " and ")): a group never crosses uids"
                                   : "family, IPV6_V6ONLY or device"
        return .oneOf(pass.map(\.id), why: "\(groups) SO_REUSEPORT groups (different \(apart)) share the address: the kernel takes the group it meets first in its hash chain, which depends on the order they started listening")
    }

    /// Whether `ids` hold several SO_REUSEPORT groups, so that one group gets every client.
    public static func formSeveralGroups(_ ids: [BindCheckReceiverID], among candidates: [BindCheckCandidate]) -> Bool {
        Set(candidates.filter { ids.contains($0.id) && $0.reuseport == true }.map(\.groupKey)).count > 1
    }

    private static func best(_ pass: [BindCheckCandidate]) -> [BindCheckCandidate] {
        let top = pass.map { score($0, ipv4: false) }.max()!
        return pass.filter { score($0, ipv4: false) == top }
    }

    private static func decide(_ winners: [BindCheckCandidate], why: String, _ transport: TransportProtocol) -> BindCheckReception {
        if winners.count == 1 { return .one(winners[0].id, why: why) }
        let group = transport == .tcp
            ? "; \(winners.count) sockets share it (a SO_REUSEPORT group): the kernel picks one per connection by a hash of the client's address and port"
            : "; \(winners.count) sockets share it (SO_REUSEPORT: one per flow by hash; SO_REUSEADDR: the last one bound)"
        return .oneOf(winners.map(\.id), why: why + group)
    }
}
