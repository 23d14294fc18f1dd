/// Problems with the sockets already on a port, whatever the user binds: IPv4 and IPv6 clients
/// reaching different processes, or one family refused while the other is served.
public enum BindCheckExistingRules {
    public static func findings(candidates: [BindCheckCandidate], sockets: [BindCheckSocket],
                                system: BindCheckSystem, transport: TransportProtocol) -> [BindCheckFinding] {
        guard !candidates.isEmpty else { return [] }
        let port = sockets.first(where: \.acceptsNewClients)?.local.port ?? Port(0)
        func reception(_ d: IPAddress) -> BindCheckReception { BindCheckLookup.reception(of: d, among: candidates, transport: transport) }
        let v4 = [IPAddress.v4(.loopback)] + system.ipv4Addresses.filter { $0 != .loopback }.map(IPAddress.v4)
        let v6 = [IPAddress.v6(.loopback)] + system.ipv6Addresses.filter { $0 != .loopback }.map(IPAddress.v6)
        var findings: [BindCheckFinding] = []

        // Split: the same client reaches a different process depending on the family it uses.
        outer: for a in v4 {
            for b in v6 {
                let ra = reception(a), rb = reception(b)
                guard !ra.receivers.isEmpty, !rb.receivers.isEmpty else { continue }
                if holders(ra, sockets) != holders(rb, sockets) {
                    findings.append(BindCheckFinding(.warning,
                        "Port \(port) is split between families: IPv4 clients to \(a) reach \(label(ra, sockets)), IPv6 clients to \(b) reach \(label(rb, sockets))",
                        advice: "let one process own both families (a dual-stack [::] socket, or 0.0.0.0 and [::] in the same process)"))
                    break outer
                }
            }
        }
        let loop4 = reception(.v4(.loopback)), loop6 = reception(.v6(.loopback))
        let v6onlyWildcard = candidates.contains { $0.binding.family == .inet6 && $0.binding.address.isUnspecified && $0.binding.v6only == true }
        if loop4.receivers.isEmpty && v6onlyWildcard {
            findings.append(BindCheckFinding(.warning,
                "IPv4 clients of port \(port) are refused: only an IPV6_V6ONLY [::] socket listens",
                advice: "set IPV6_V6ONLY=0 on it, or bind 0.0.0.0:\(port) as well"))
        } else if loop4.receivers.isEmpty != loop6.receivers.isEmpty {
            let served = loop4.receivers.isEmpty ? "::1" : "127.0.0.1"
            let refused = loop4.receivers.isEmpty ? "127.0.0.1" : "::1"
            findings.append(BindCheckFinding(.info,
                "Clients to \(refused) on port \(port) are refused while \(served) is served; 'localhost' may resolve to either",
                advice: "bind \(refused == "::1" ? "[::1] or [::]" : "127.0.0.1 or a dual-stack [::]") as well if local clients use 'localhost'"))
        }
        // A group of sockets of different processes: each client reaches one of them.
        for d in v4 + v6 {
            let r = reception(d)
            if case let .oneOf(ids, _) = r, holders(r, sockets).count > 1 {
                findings.append(BindCheckFinding(.info, BindCheckLookup.formSeveralGroups(ids, among: candidates)
                    ? "Clients to \(d) on port \(port) all reach one of several SO_REUSEPORT groups, the one the kernel meets first (it depends on the order they started listening): \(label(r, sockets))"
                    : "Clients to \(d) on port \(port) are spread over different processes: \(label(r, sockets))"))
                break
            }
        }
        return findings
    }

    /// The processes behind a reception (inodes stand in when owners are unknown).
    static func holders(_ reception: BindCheckReception, _ sockets: [BindCheckSocket]) -> Set<String> {
        Set(reception.receivers.map { id -> String in
            guard case let .existing(inode) = id else { return "new" }
            guard let socket = sockets.first(where: { $0.inode == inode }), !socket.ownership.owners.isEmpty else { return "inode \(inode)" }
            return socket.ownership.owners.map { String($0.pid) }.sorted().joined(separator: ",")
        })
    }

    public static func label(_ id: BindCheckReceiverID, _ sockets: [BindCheckSocket]) -> String {
        switch id {
        case .newSocket: return "the new socket"
        case let .existing(inode):
            guard let socket = sockets.first(where: { $0.inode == inode }), !socket.ownership.owners.isEmpty else { return "inode \(inode)" }
            return socket.ownerLabel
        }
    }

    public static func label(_ reception: BindCheckReception, _ sockets: [BindCheckSocket]) -> String {
        switch reception {
        case .refused: return "refused"
        case let .one(id, _): return label(id, sockets)
        case let .oneOf(ids, _): return "one of: " + Array(Set(ids.map { label($0, sockets) })).sorted().joined(separator: " | ")
        }
    }
}
