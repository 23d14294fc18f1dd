#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Gathers what bind-check analyses: sysctls, the sockets on the port with their owners, and the
/// trial binds, in the current network namespace.
public enum BindCheckProbe {
    /// Sockets on the port: from netlink when it works (filtered in the kernel, with V6ONLY),
    /// else from /proc/net.
    public static func sockets(_ transport: TransportProtocol, filter: BindCheckPortFilter,
                               listeningOnly: Bool = false) throws(SockdiagError) -> ([BindCheckSocket], BindCheckSource) {
        if let viaNetlink = try? BindCheckNetlink.dump(transport, filter: filter, listeningOnly: listeningOnly) {
            return (viaNetlink, .netlink)
        }
        var viaProc = try BindCheckProcScanner.scan(transport, filter: filter)
        if listeningOnly { viaProc = viaProc.filter(\.acceptsNewClients) }
        return (viaProc, .proc)
    }

    /// Fills in each socket's owning processes.
    public static func attachOwners(_ sockets: inout [BindCheckSocket]) {
        let wanted = Set(sockets.map(\.inode).filter { $0 != 0 })
        let scan = BindCheckOwnerScan.find(wanted)
        for i in sockets.indices {
            let inode = sockets[i].inode
            if let owners = scan.owners[inode], !owners.isEmpty {
                sockets[i].ownership = .owners(owners.sorted { $0.pid < $1.pid })
            } else if inode == 0 {
                sockets[i].ownership = .kernel
            } else {
                sockets[i].ownership = scan.someHidden ? .hidden : .kernel
            }
        }
    }

    public static func observe(_ query: BindCheckQuery, netns: String?) throws(SockdiagError) -> BindCheckObservation {
        let system = BindCheckSystemReader.read()
        let filter: BindCheckPortFilter
        var listeningOnly = false
        if query.port.value == 0 {
            // Port 0: the question is which ports the kernel may hand out, so look at the listeners there.
            filter = .range(system.ephemeralRange ?? 32768...60999)
            listeningOnly = true
        } else {
            filter = .port(query.port)
        }
        var (sockets, source) = try sockets(query.transport, filter: filter, listeningOnly: listeningOnly)
        sockets.sort(by: BindCheckProbe.order)
        attachOwners(&sockets)
        let trials = BindCheckTrialRequest.all(for: query).map(BindCheckTrialBinder.run)
        return BindCheckObservation(query: query, system: system, source: source, sockets: sockets, trials: trials,
                                    trialUID: UInt32(geteuid()), netns: netns)
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
