/// Linux's rules for who receives a new connection (TCP) or a first datagram (UDP), stated once.
/// Each rule names the kernel function it mirrors (net/ipv4/inet_hashtables.c,
/// net/ipv6/inet6_hashtables.c, net/ipv4/udp.c, net/ipv6/udp.c, net/core/sock_reuseport.c,
/// net/ipv4/route.c). The bind rules (conflicts, fast reuse, UDP's first match) are in
/// BindCheckRules and BindCheckBindBucket.
public enum BindCheckKernel {
    // MARK: Chain order

    /// `__inet_hash()` (TCP, at listen) and `udp_lib_get_port()` (UDP, at bind, into the
    /// address-and-port chain `hash2`): a socket enters the lookup chain of its address and port at
    /// the head, except an AF_INET6 SO_REUSEPORT socket, which is appended at the tail. 0.0.0.0 and
    /// [::] share one chain, as do an IPv4 address and its IPv4-mapped form (`ipv6_portaddr_hash()`
    /// hashes them alike). UDP's port-only chain (`udptable->hash`, which the conflict check and
    /// the sock_diag dump walk) has the same rule (`sk_add_node_rcu()`).
    public static func entersAtTail(family: AddressFamily, reuseport: Bool) -> Bool {
        family == .inet6 && reuseport
    }

    /// `udp_lib_rehash()`: a UDP socket whose local address changes (connect() of a wildcard-bound
    /// socket, or a disconnect) moves to the head of its new address's lookup chain, while its
    /// place in the port-only chain stays; so entering order alone does not give a UDP lookup
    /// chain, the kernel's walk does. Where a socket sits in its lookup chain, as the kernel walks
    /// it: for TCP the sock_diag dump (`inet_diag_dump_icsk()` walks the listening chains `lhash2`,
    /// both families in one request); for UDP a BPF iter/udp pass (`bpf_iter_udp_batch()` walks
    /// `hash2`), since the UDP dump (`udp_dump()`) walks the port-only chain, one family per
    /// request. The dump's order when neither was read.
    public static func lookupChainPosition(of socket: BindCheckSocket) -> Int? {
        switch socket.transport {
        case .tcp: return socket.walkOrder
        case .udp: return socket.lookupChainPosition ?? socket.walkOrder
        }
    }

    /// Chain positions (smaller is nearer the head) of sockets given in the order they entered the
    /// chain, oldest first.
    public static func chainPositions(enteringOrder sockets: [(family: AddressFamily, reuseport: Bool)]) -> [Int] {
        var head = 0, tail = 0
        return sockets.map { socket in
            if entersAtTail(family: socket.family, reuseport: socket.reuseport) {
                tail += 1
                return tail
            }
            head -= 1
            return head
        }
    }

    /// The position of a socket that enters the chain after all the others.
    public static func positionOfNewest(family: AddressFamily, reuseport: Bool) -> Int {
        entersAtTail(family: family, reuseport: reuseport) ? Int.max : Int.min
    }

    // MARK: Devices

    /// `inet_sk_bound_dev_eq()`: a socket bound to a device (SO_BINDTODEVICE) matches only what
    /// arrives on that device. A local client's packet travels over lo, but the route of a local
    /// address remembers the device that holds it (`ip_route_output_key_hash_rcu()`: "make sure
    /// orig_oif points to fib result device"; `ip6_dst_idev()` for IPv6), and that device is what
    /// the lookup compares: lo only for loopback addresses.
    public static func arrivingDevice(of destination: IPAddress, on system: BindCheckSystem) -> String {
        arrivingDevice(of: destination, addressDevices: system.addressDevices)
    }

    /// The same, from the interface that holds each local address.
    public static func arrivingDevice(of destination: IPAddress, addressDevices: [IPAddress: String]) -> String {
        let unmapped = destination.unmapped
        if case let .v4(a) = unmapped, a.value >> 24 == 127 { return loopbackDevice }
        if unmapped == .v6(.loopback) { return loopbackDevice }
        return addressDevices[unmapped] ?? addressDevices[destination] ?? loopbackDevice
    }

    public static let loopbackDevice = "lo"

    // MARK: Score

    /// `compute_score()`: -1 (nil here) unless the socket's address and device match; then TCP
    /// scores 1, +1 when bound to the arriving device, +1 for an AF_INET socket in an IPv4 lookup;
    /// UDP (`udp.c compute_score()`) scores 2 for AF_INET and 1 for AF_INET6, +4 when bound to
    /// the device (IPv6 lookups have no family point, `udp6 compute_score()`). Both add 1 when the
    /// socket's `sk_incoming_cpu` is the CPU running the lookup (`cpu`; nil: a CPU no socket
    /// names). Only a socket that received while connected, or set SO_INCOMING_CPU, has one.
    static func score(_ candidate: BindCheckCandidate, ipv4: Bool, device: String, transport: TransportProtocol,
                      cpu: Int? = nil) -> Int? {
        if let bound = candidate.boundDevice, bound != device { return nil }
        let bound = candidate.boundDevice != nil
        let inet = ipv4 && candidate.binding.family == .inet
        let sameCPU = cpu != nil && candidate.incomingCPU == cpu ? 1 : 0
        switch transport {
        case .tcp: return 1 + (bound ? 1 : 0) + (inet ? 1 : 0) + sameCPU
        case .udp: return (inet ? 2 : 1) + (bound ? 4 : 0) + sameCPU
        }
    }

    /// The CPUs whose lookups may differ: each one a scoring socket names as its incoming CPU,
    /// then nil for every other CPU (left out when those named are all there are).
    static func distinctCPUs(_ candidates: [BindCheckCandidate], cpus: Int?) -> [Int?] {
        let named = Set(candidates.compactMap(\.incomingCPU)).sorted()
        let others = cpus.map { named.count < $0 } ?? true
        return named.map { Optional($0) } + (others ? [nil] : [])
    }

    // MARK: Reuseport groups

    /// `inet_reuseport_add_sock()` / `udp_reuseport_add_sock()`: a SO_REUSEPORT socket joins the
    /// group of one with the same family, IPV6_V6ONLY, device, uid and exact address; a group never
    /// crosses any of them.
    static func sameGroup(_ a: BindCheckCandidate, _ b: BindCheckCandidate) -> Bool {
        a.reuseport == true && b.reuseport == true && a.binding.family == b.binding.family
            && a.binding.v6only == b.binding.v6only && a.boundDevice == b.boundDevice && a.uid == b.uid
            && a.binding.address == b.binding.address
    }

    // MARK: Lookup

    /// Where the lookup stopped: the socket (or group) that gets the client, and why.
    struct Decision {
        let winner: BindCheckCandidate
        /// Every member of the winner's SO_REUSEPORT group (the winner alone without one).
        let group: [BindCheckCandidate]
        let exact: Bool
        /// The sockets of the same chain that scored but lost, and how.
        let outscored: [BindCheckCandidate]
        let tiedBehind: [BindCheckCandidate]
        let skippedHigher: [BindCheckCandidate]
    }

    /// `inet_lhash2_lookup()` / `inet6_lhash2_lookup()` / `udp4_lib_lookup2()`: walk the chain in
    /// order; a socket that scores higher than every one before it becomes the answer, and if it
    /// has a SO_REUSEPORT group the group's pick (by a hash of the client's address and port) is
    /// returned at once, later sockets unseen. A UDP group with a connected member
    /// (`reuseport_has_conns()`) picks among its unconnected members and the walk goes on.
    /// `__inet_lookup_listener()` / `__udp4_lib_lookup()`: the chain of the exact address first,
    /// the wildcard's only when that finds nothing.
    static func lookup(_ destination: IPAddress, device: String, among candidates: [BindCheckCandidate],
                       transport: TransportProtocol, cpu: Int? = nil) -> Decision? {
        let ipv4: Bool
        let exact: [BindCheckCandidate], wildcard: [BindCheckCandidate]
        switch destination.unmapped {
        case let .v4(d):
            ipv4 = true
            exact = candidates.filter { $0.binding.ipv4Side == d && d != .any }
            wildcard = candidates.filter { $0.binding.ipv4Side == .any }
        case let .v6(d):
            ipv4 = false
            let six = candidates.filter { $0.binding.family == .inet6 }
            exact = six.filter { if case let .v6(a) = $0.binding.address { return a.withoutZone == d.withoutZone && !$0.binding.address.isUnspecified } else { return false } }
            wildcard = six.filter { $0.binding.address.isUnspecified }
        }
        for (chain, isExact) in [(exact, true), (wildcard, false)] {
            let ordered = chain.sorted { $0.chainPosition < $1.chainPosition }
            var best: (BindCheckCandidate, [BindCheckCandidate], Int)?
            var seen: [BindCheckCandidate] = []
            var decided = false
            for candidate in ordered {
                guard let score = score(candidate, ipv4: ipv4, device: device, transport: transport, cpu: cpu) else { continue }
                defer { seen.append(candidate) }
                guard score > (best?.2 ?? 0) else { continue }
                let group: [BindCheckCandidate]
                switch candidate.reuseport {
                case true?: group = candidates.filter { sameGroup($0, candidate) }
                case false?: group = [candidate]
                // Flags unread (no BPF): sockets alike in all else may be one group.
                case nil: group = ordered.filter { $0.reuseport == nil && $0.binding == candidate.binding && $0.boundDevice == candidate.boundDevice && $0.uid == candidate.uid }
                }
                best = (candidate, group, score)
                if candidate.reuseport == true && !(transport == .udp && candidate.groupHasConnections) {
                    decided = true
                    break
                }
            }
            guard let (winner, group, top) = best else { continue }
            func scored(_ c: BindCheckCandidate) -> Int? { score(c, ipv4: ipv4, device: device, transport: transport, cpu: cpu) }
            let rivals = ordered.filter { c in !group.contains { $0.id == c.id } && scored(c) != nil }
            let seenIDs = Set(seen.map(\.id))
            return Decision(winner: winner, group: group, exact: isExact,
                            outscored: rivals.filter { seenIDs.contains($0.id) && scored($0)! < top },
                            tiedBehind: rivals.filter { scored($0)! == top },
                            skippedHigher: decided ? rivals.filter { !seenIDs.contains($0.id) && scored($0)! > top } : [])
        }
        return nil
    }
}
