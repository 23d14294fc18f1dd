#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// One-pass lookups by socket inode, from BPF iterators.
public struct BindCheckInventory {
    public let owners: (Set<UInt64>) -> [UInt64: [Int32]]
    public let options: (Set<UInt64>) -> [UInt64: BindCheckSocketOptions]
    /// TCP sockets bound without listen() or connect() on a port, in a network namespace (by
    /// nsfs inode); nil when the walk cannot see all of them.
    public let boundInactive: (_ port: UInt16, _ netns: UInt64) -> [BindCheckSocket]?
    /// UDP sockets' places in their lookup chains (BindCheckSocket.lookupChainPosition), by inode,
    /// from the kernel's own walk of them; nil when not read.
    public let udpLookupChains: [UInt64: Int]?

    public init(owners: @escaping (Set<UInt64>) -> [UInt64: [Int32]],
                options: @escaping (Set<UInt64>) -> [UInt64: BindCheckSocketOptions],
                boundInactive: @escaping (_ port: UInt16, _ netns: UInt64) -> [BindCheckSocket]? = { _, _ in nil },
                udpLookupChains: [UInt64: Int]? = nil) {
        self.owners = owners
        self.options = options
        self.boundInactive = boundInactive
        self.udpLookupChains = udpLookupChains
    }

    /// The same owners and options with the UDP lookup chains of another network namespace.
    public func with(udpLookupChains chains: [UInt64: Int]?) -> BindCheckInventory {
        BindCheckInventory(owners: owners, options: options, boundInactive: boundInactive, udpLookupChains: chains)
    }
}

/// Gathers what bind-check analyses: sysctls, the sockets on the port with their owners, and the
/// trial binds, in the current network namespace.
public enum BindCheckProbe {
    /// Sockets on the port: from netlink when it works (filtered in the kernel, with V6ONLY),
    /// else from /proc/net.
    public static func sockets(_ transport: TransportProtocol, filter: BindCheckPortFilter, listeningOnly: Bool = false,
                               boundInactive: BindCheckNetlink.BoundInactive = .included) throws(SockdiagError) -> ([BindCheckSocket], BindCheckSource) {
        if let viaNetlink = try? BindCheckNetlink.dump(transport, filter: filter, listeningOnly: listeningOnly, boundInactive: boundInactive) {
            return (viaNetlink, .netlink)
        }
        var viaProc = try BindCheckProcScanner.scan(transport, filter: filter)
        if listeningOnly { viaProc = viaProc.filter(\.acceptsNewClients) }
        return (viaProc, .proc)
    }

    /// Prepares one-pass lookups of owners and socket options (BPF iterators); nil when unavailable.
    public typealias InventoryProvider = () -> BindCheckInventory?

    /// Fills in each socket's owning processes, from `table` when there is one, else from
    /// /proc/PID/fd, and its options where the inventory has them.
    @discardableResult
    public static func attachOwners(_ sockets: inout [BindCheckSocket], table: BindCheckInventory? = nil) -> BindCheckOwnerSource {
        let wanted = Set(sockets.map(\.inode).filter { $0 != 0 })
        var pids: [UInt64: [Int32]]
        var someHidden = false
        var source = BindCheckOwnerSource.bpfIterator
        if let table {
            pids = table.owners(wanted)
            let options = table.options(wanted)
            for i in sockets.indices {
                guard let found = options[sockets[i].inode] else { continue }
                sockets[i].options = found
                if sockets[i].family == .inet6 && sockets[i].v6only == nil { sockets[i].v6only = found.v6only }
            }
            if let chains = table.udpLookupChains {
                for i in sockets.indices where sockets[i].transport == .udp {
                    sockets[i].lookupChainPosition = chains[sockets[i].inode]
                }
            }
        } else {
            let scan = BindCheckOwnerScan.find(wanted)
            (pids, someHidden, source) = (scan.pids, scan.someHidden, .procFd)
        }
        var identities: [Int32: BindCheckOwner?] = [:]
        func identity(_ pid: Int32) -> BindCheckOwner? {
            if let known = identities[pid] { return known }
            let owner = ProcessIdentity.read(pid: pid)
            identities[pid] = owner
            return owner
        }
        for i in sockets.indices {
            let inode = sockets[i].inode
            let owners = (pids[inode] ?? []).sorted().compactMap(identity)
            if !owners.isEmpty {
                sockets[i].ownership = .owners(owners)
            } else {
                sockets[i].ownership = inode == 0 ? .kernel : someHidden ? .hidden : .notFound
            }
        }
        return source
    }

    public static func observe(_ asked: BindCheckQuery, netns: String?, inventory: InventoryProvider? = nil) throws(SockdiagError) -> BindCheckObservation {
        // The BPF walk (libbpf reading the kernel's BTF, then every file table) is the longest
        // step: it starts first and runs beside everything up to the trials.
        let pendingOwners = inventory.map { BackgroundWork($0) }
        let system = BindCheckSystemReader.read()
        // Interfaces are per namespace: the zone is checked here, after any --netns.
        let query = try asked.resolvingZone(BindCheckSystemReader.interfaces,
                                            linkLocal: system.ipv6Addresses.filter { $0.zone != nil })
        let filter: BindCheckPortFilter
        var listeningOnly = false
        if query.port.value == 0 {
            // Port 0: the question is which ports the kernel may hand out, so look at the listeners there.
            filter = .range(system.ephemeralRange ?? 32768...60999)
            listeningOnly = true
        } else {
            filter = .port(query.port)
        }
        // Bound-inactive TCP sockets come from the BPF walk when it sees every process: asking
        // sock_diag for them (TCPF_BOUND_INACTIVE) makes it walk the whole bind hash, which
        // doubles the dump's kernel time on a busy host.
        let boundInactiveFromWalk = pendingOwners != nil && query.transport == .tcp && !listeningOnly
        var (sockets, source) = try sockets(query.transport, filter: filter, listeningOnly: listeningOnly,
                                            boundInactive: boundInactiveFromWalk ? .excluded : .included)
        // Sorted while the walk goes on; the sort is stable, so sorting again after appending
        // gives what one sort of the whole list gives.
        sockets.sort(by: BindCheckProbe.order)
        let owners = pendingOwners?.wait()
        if boundInactiveFromWalk, source == .netlink {
            var bound = BindCheckNamespace.currentInode().flatMap { owners?.boundInactive(query.port.value, $0) }
                ?? (try? BindCheckNetlink.dump(.tcp, filter: filter, boundInactive: .only)) ?? []
            // After the dump's own walk, as the kernel's bind-hash walk comes last in it.
            for i in bound.indices { bound[i].walkOrder = sockets.count + i }
            if !bound.isEmpty {
                sockets += bound
                sockets.sort(by: BindCheckProbe.order)
            }
        }
        let ownerSource = attachOwners(&sockets, table: owners)
        let trialUID = UInt32(geteuid())
        let trials = runTrials(for: query, sockets: sockets, trialUID: trialUID, defaultV6only: system.bindv6only)
        return BindCheckObservation(query: query, system: system, source: source, sockets: sockets, trials: trials,
                                    trialUID: trialUID, netns: netns, ownerSource: ownerSource)
    }

    /// Every trial, each real unless it would leave a trace: a successful TCP bind updates the
    /// fast-reuse marks of the port's bind bucket (`inet_csk_update_fastreuse()`), which outlive
    /// the trial socket and decide whether later binds skip the conflict check. Where the rules
    /// say a trial would change them, its result is predicted from the marks (read by the BPF
    /// socket iterator) and marked as not tried.
    static func runTrials(for query: BindCheckQuery, sockets: [BindCheckSocket], trialUID: UInt32,
                          defaultV6only: Bool) -> [BindCheckTrialOutcome] {
        BindCheckTrialRequest.all(for: query).map { request in
            guard let predicted = BindCheckTrialOutcome.predictedInstead(of: request, sockets: sockets, trialUID: trialUID,
                                                                         defaultV6only: defaultV6only) else {
                return BindCheckTrialBinder.run(request)
            }
            // Whether the address itself can be bound is asked on port 0, which leaves no trace on
            // this port: an EINVAL or EADDRNOTAVAIL there is the trial's real answer.
            let anyPort = BindCheckTrialRequest(address: request.address, port: Port(0), transport: request.transport,
                                                v6only: request.v6only, reuseaddr: request.reuseaddr, reuseport: request.reuseport)
            if case let .failure(failure) = BindCheckTrialBinder.run(anyPort).result, failure.errno != .addressInUse {
                return BindCheckTrialOutcome(request: request, result: .failure(failure))
            }
            return predicted
        }
    }

    /// Listeners first, then by family, address and port.
    static func order(_ a: BindCheckSocket, _ b: BindCheckSocket) -> Bool {
        let la = a.acceptsNewClients, lb = b.acceptsNewClients
        if la != lb { return la }
        if a.local.port != b.local.port { return a.local.port < b.local.port }
        if a.family != b.family { return a.family == .inet }
        if a.local.address != b.local.address { return a.local.address < b.local.address }
        if a.remote.address != b.remote.address { return a.remote.address < b.remote.address }
        return a.remote.port < b.remote.port
    }
}
