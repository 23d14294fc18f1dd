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

    public init(id: BindCheckReceiverID, binding: BindCheckBinding) {
        self.id = id
        self.binding = binding
    }
}

/// Where a client's connection (or first datagram) to one destination would land.
public enum BindCheckReception: Hashable, Sendable {
    /// Nobody accepts it: the client gets ECONNREFUSED (TCP) or an ICMP port unreachable (UDP).
    case refused(why: String)
    case one(BindCheckReceiverID, why: String)
    /// Several sockets share the address (a SO_REUSEPORT group): each connection goes to one.
    case oneOf([BindCheckReceiverID], why: String)

    public var receivers: [BindCheckReceiverID] {
        switch self {
        case .refused: return []
        case let .one(id, _): return [id]
        case let .oneOf(ids, _): return ids
        }
    }

    public var why: String {
        switch self {
        case let .refused(why), let .one(_, why), let .oneOf(_, why): return why
        }
    }
}

/// Linux's listener lookup (`__inet_lookup_listener`, `inet6_lookup_listener`, and the UDP
/// `udp4_lib_lookup2`/`udp6_lib_lookup2`): a socket bound to the exact destination address is
/// looked for first and wins over any wildcard; among equals an AF_INET socket scores higher than
/// an AF_INET6 one for IPv4; a V6ONLY socket never receives IPv4; sockets tied on the best score
/// form a SO_REUSEPORT group, one of which gets each connection.
public enum BindCheckLookup {
    public static func reception(of destination: IPAddress, among candidates: [BindCheckCandidate],
                                 transport: TransportProtocol = .tcp) -> BindCheckReception {
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
            let best = pass.map(score).max()!
            let winners = pass.filter { score($0) == best }
            var why = pass.first!.binding.ipv4Side == .any ? "the wildcard \(winners[0].binding.addressText) takes IPv4 \(d)" : "bound to \(d) exactly"
            if winners[0].binding.family == .inet6 { why += " (dual-stack, IPV6_V6ONLY=0, as ::ffff:\(d))" }
            if !others.isEmpty { why += "; an exact address beats the wildcard" }
            if winners.count < pass.count { why += "; an AF_INET socket beats a dual-stack AF_INET6 one for IPv4" }
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
            return decide(exact, why: "bound to \(d.withoutZone) exactly" + (wildcard.isEmpty ? "" : "; an exact address beats the wildcard"), transport)
        }
        if !wildcard.isEmpty {
            return decide(wildcard, why: "the wildcard [::] takes every IPv6 address", transport)
        }
        let hasIPv4 = candidates.contains { $0.binding.family == .inet }
        return .refused(why: hasIPv4 ? "nothing takes IPv6 \(d.withoutZone): only AF_INET sockets are bound (they never receive IPv6)"
                                     : "nothing is bound to \(d.withoutZone) or [::]")
    }

    private static func score(_ candidate: BindCheckCandidate) -> Int {
        candidate.binding.family == .inet ? 2 : 1
    }

    private static func decide(_ winners: [BindCheckCandidate], why: String, _ transport: TransportProtocol) -> BindCheckReception {
        if winners.count == 1 { return .one(winners[0].id, why: why) }
        let group = transport == .tcp
            ? "; \(winners.count) sockets share it (a SO_REUSEPORT group): the kernel picks one per connection by a hash of the client's address and port"
            : "; \(winners.count) sockets share it (SO_REUSEPORT: one per flow by hash; SO_REUSEADDR: the last one bound)"
        return .oneOf(winners.map(\.id), why: why + group)
    }
}
