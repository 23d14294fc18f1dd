/// Problems with the sockets already on a port, whatever the user binds: IPv4 and IPv6 clients
/// reaching different processes, or one family refused while the other is served.
public enum BindCheckExistingRules {
    /// Findings read off `receptions`, the same destination-by-destination answers the receivers
    /// table shows, so that no finding states a premise the table contradicts.
    public static func findings(receptions: [(destination: IPAddress, reception: BindCheckReception)],
                                candidates: [BindCheckCandidate], sockets: [BindCheckSocket]) -> [BindCheckFinding] {
        guard !candidates.isEmpty else { return [] }
        let port = sockets.first(where: \.acceptsNewClients)?.local.port ?? Port(0)
        // Clients of IPv4 addresses (mapped ones are the same clients again) and of IPv6 ones that can send.
        let v4 = receptions.filter { if case .v4 = $0.destination { return true } else { return false } }
        let v6 = receptions.filter {
            if case let .v6(a) = $0.destination, !a.isIPv4Mapped, !$0.reception.isUnreachable { return true } else { return false }
        }
        var findings: [BindCheckFinding] = []

        // Split: the same client reaches a different process depending on the family it uses.
        outer: for (a, ra) in v4 {
            for (b, rb) in v6 {
                guard !ra.receivers.isEmpty, !rb.receivers.isEmpty else { continue }
                if holders(ra, sockets) != holders(rb, sockets) {
                    findings.append(BindCheckFinding(.warning,
                        "Port \(port) is split between families: IPv4 clients to \(a) reach \(label(ra, sockets)), IPv6 clients to \(b) reach \(label(rb, sockets))",
                        advice: "let one process own both families (a dual-stack [::] socket, or 0.0.0.0 and [::] in the same process)",
                        kind: .splitFamilies))
                    break outer
                }
            }
        }
        let refused4 = v4.filter(\.reception.isRefused).map(\.destination)
        let served4 = v4.filter { !$0.reception.receivers.isEmpty }
        let v6onlyWildcard = candidates.contains { $0.binding.family == .inet6 && $0.binding.address.isUnspecified && $0.binding.v6only == true }
        let loop4 = v4.first { $0.destination == .v4(.loopback) }?.reception
        let loop6 = v6.first { $0.destination == .v6(.loopback) }?.reception
        if !refused4.isEmpty && v6onlyWildcard {
            let advice = "set IPV6_V6ONLY=0 on it, or bind 0.0.0.0:\(port) as well"
            if served4.isEmpty {
                findings.append(BindCheckFinding(.warning,
                    "IPv4 clients of port \(port) are refused: the [::] socket is IPV6_V6ONLY=1 and nothing takes IPv4", advice: advice,
                    kind: .ipv4Refused))
            } else {
                let served = served4.map { "\($0.destination) (\(label($0.reception, sockets)))" }.joined(separator: ", ")
                findings.append(BindCheckFinding(.warning,
                    "IPv4 clients to \(refused4.map(\.description).joined(separator: ", ")) on port \(port) are refused, the [::] socket being IPV6_V6ONLY=1; only \(served) \(served4.count == 1 ? "is" : "are") served",
                    advice: advice, kind: .ipv4Refused))
            }
        } else if let loop4, let loop6, loop4.receivers.isEmpty != loop6.receivers.isEmpty {
            let served = loop4.receivers.isEmpty ? "::1" : "127.0.0.1"
            let refused = loop4.receivers.isEmpty ? "127.0.0.1" : "::1"
            findings.append(BindCheckFinding(.info,
                "Clients to \(refused) on port \(port) are refused while \(served) is served; 'localhost' may resolve to either",
                advice: "bind \(refused == "::1" ? "[::1] or [::]" : "127.0.0.1 or a dual-stack [::]") as well if local clients use 'localhost'",
                kind: .loopbackFamilyRefused))
        }
        // A group of sockets of different processes: each client reaches one of them.
        for (d, r) in v4 + v6 {
            if case .oneOf = r, holders(r, sockets).count > 1 {
                findings.append(BindCheckFinding(.info, "Clients to \(d) on port \(port) are spread over different processes: \(label(r, sockets))",
                                                 kind: .spreadOverProcesses))
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
        case .unreachable: return "unreachable"
        case let .one(id, _): return label(id, sockets)
        case let .oneOf(ids, _): return "one of: " + Array(Set(ids.map { label($0, sockets) })).sorted().joined(separator: " | ")
        }
    }
}

extension BindCheckReception {
    var isRefused: Bool { if case .refused = self { return true } else { return false } }
    var isUnreachable: Bool { if case .unreachable = self { return true } else { return false } }

    /// The JSON name: `existing`, `one_of`, `refused` or `unreachable`.
    var kind: String {
        switch self {
        case .refused: return "refused"
        case .unreachable: return "unreachable"
        case .one: return "existing"
        case .oneOf: return "one_of"
        }
    }
}
