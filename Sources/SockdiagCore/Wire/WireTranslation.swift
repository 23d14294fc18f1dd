/// One flow translated between IPv6 and IPv4 (RFC 6052 addresses, as tayga, Jool or a BPF CLAT
/// write them), seen on both sides in one capture: on a CLAT's host (the IPv4 side on its TUN
/// device, the IPv6 side there and on the uplink) or on a NAT64's (the IPv6 side from the
/// client, the IPv4 side from the pool).
struct WireTranslationPair: Sendable, Equatable {
    /// Flow indexes.
    var ipv6: Int
    var ipv4: Int
    var prefix: NAT64KnownPrefix
}

/// Which way a translated flow went.
enum WireTranslationKind: String, Sendable {
    /// IPv4 first, then IPv6: a CLAT (464XLAT's customer side) turned IPv4 packets into IPv6.
    case clat
    /// IPv6 first, then IPv4: a NAT64 turned IPv6 packets to a prefix address into IPv4.
    case nat64
}

/// A row's translation, for the report: the prefix and where it came from.
struct WireTranslationView: Sendable, Equatable {
    var kind: WireTranslationKind
    var prefix: NAT64KnownPrefix
    /// The IPv4 address the IPv6 destination embeds.
    var ipv4: IPv4Address
}

enum WireTranslation {
    /// First packets of the two sides of one translation are this close (the translator adds
    /// microseconds; a second leaves room for a loaded host).
    static let window: UInt64 = 1_000_000_000

    private struct Ports: Hashable {
        var source: UInt16, destination: UInt16, transport: TransportProtocol
    }

    private struct Destination: Hashable {
        var address: UInt64, port: UInt16, transport: TransportProtocol
    }

    /// The translated pairs among the flows, at least one side of each unclaimed (`isFree`). An
    /// IPv6 flow pairs with the IPv4 flow of the same ports whose destination its own destination
    /// embeds under a known prefix, or under one of RFC 6052's lengths, which is then learned
    /// (`prefixes` gains it); then, for a translator that changes ports (NAPT), an IPv6 flow to a
    /// known prefix pairs with the free IPv4 flow to the embedded address and port that started
    /// nearest in time.
    static func pairs(_ flows: [WireFlow], isFree: (Int) -> Bool, prefixes: inout NAT64Prefixes) -> [WireTranslationPair] {
        var sixes: [Int] = []
        var anyFree = false
        for (index, flow) in flows.enumerated() {
            anyFree = anyFree || isFree(index)
            if flow.key.isIPv6 { sixes.append(index) }
        }
        guard anyFree, !sixes.isEmpty, sixes.count < flows.count else { return [] }
        // Only the IPv4 flows that share their ports with an IPv6 flow can pair by ports: the
        // others (most, without a translator) are not filed, which costs a list each.
        var sixPorts = Set<Ports>(minimumCapacity: sixes.count)
        for six in sixes { sixPorts.insert(ports(flows[six])) }
        var byPorts: [Ports: [Int]] = [:]
        for (index, flow) in flows.enumerated() where !flow.key.isIPv6 {
            let key = ports(flow)
            if sixPorts.contains(key) { byPorts[key, default: []].append(index) }
        }
        var paired = Set<Int>()
        var pairs: [WireTranslationPair] = []
        var unpairedSixes: [Int] = []
        for six in sixes {
            let flow = flows[six]
            let destination = IPv6Address(high: flow.key.destination.high, low: flow.key.destination.low)
            let candidates = byPorts[ports(flow)] ?? []
            var best: (index: Int, prefix: NAT64KnownPrefix, distance: UInt64)?
            for four in candidates where !paired.contains(four) && (isFree(six) || isFree(four)) {
                let distance = gap(flow, flows[four])
                guard distance <= window, distance < (best?.distance ?? .max) else { continue }
                let ipv4 = IPv4Address(UInt32(truncatingIfNeeded: flows[four].key.destination.low))
                if let match = prefixes.match(destination), match.ipv4 == ipv4 {
                    best = (four, match.prefix, distance)
                } else if let learned = learnedPrefix(ipv4, in: destination) {
                    best = (four, learned, distance)
                }
            }
            if let best {
                paired.insert(best.index)
                prefixes.prepend(best.prefix)
                pairs.append(WireTranslationPair(ipv6: six, ipv4: best.index, prefix: best.prefix))
            } else if prefixes.match(destination)?.ipv4 != nil {
                unpairedSixes.append(six)
            }
        }
        guard !unpairedSixes.isEmpty else { return pairs }
        var byDestination: [Destination: [Int]] = [:]
        for (index, flow) in flows.enumerated() where !flow.key.isIPv6 && isFree(index) && !paired.contains(index) {
            byDestination[Destination(address: flow.key.destination.low, port: flow.key.destinationPort, transport: flow.key.transport), default: []].append(index)
        }
        for six in unpairedSixes {
            let flow = flows[six]
            guard let match = prefixes.match(IPv6Address(high: flow.key.destination.high, low: flow.key.destination.low)),
                  let ipv4 = match.ipv4 else { continue }
            let key = Destination(address: UInt64(ipv4.value), port: flow.key.destinationPort, transport: flow.key.transport)
            let nearest = (byDestination[key] ?? []).filter { !paired.contains($0) && gap(flow, flows[$0]) <= window }
                .min { gap(flow, flows[$0]) < gap(flow, flows[$1]) }
            if let four = nearest {
                paired.insert(four)
                pairs.append(WireTranslationPair(ipv6: six, ipv4: four, prefix: match.prefix))
            }
        }
        return pairs
    }

    private static func ports(_ flow: WireFlow) -> Ports {
        Ports(source: flow.key.sourcePort, destination: flow.key.destinationPort, transport: flow.key.transport)
    }

    private static func gap(_ a: WireFlow, _ b: WireFlow) -> UInt64 {
        a.firstTime > b.firstTime ? a.firstTime - b.firstTime : b.firstTime - a.firstTime
    }

    /// The RFC 6052 prefix under which `ipv6` embeds `ipv4`, longest first; never one that would
    /// read an IPv4-mapped or -compatible address, or an IPv4 address that is all zeros, as a
    /// translation.
    static func learnedPrefix(_ ipv4: IPv4Address, in ipv6: IPv6Address) -> NAT64KnownPrefix? {
        guard ipv4.value != 0, ipv6.high != 0 else { return nil }
        for length in NAT64Prefix.validLengths.reversed() {
            if let prefix = NAT64Prefix.containing(ipv4, in: ipv6, length: length) {
                return NAT64KnownPrefix(prefix, source: .packets(ipv4: ipv4, ipv6: ipv6))
            }
        }
        return nil
    }
}
