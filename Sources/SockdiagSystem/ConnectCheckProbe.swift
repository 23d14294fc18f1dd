#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Gathers what connect-check analyses, in the current network namespace: the resolver's
/// answers, the files that decided them, the route to each address, the listeners on the port
/// with their owners, and under --probe a real connect to each address.
public enum ConnectCheckProbe {
    /// `inventory` (the BPF iterators: SO_REUSEPORT, SO_BINDTODEVICE, owners in one pass) is asked
    /// only when several sockets listen on the port, where those options decide between them: its
    /// program load and BTF parse cost more than the rest of the run together.
    public static func observe(_ query: ConnectCheckQuery, netns: String?, probe: Bool,
                               inventory: BindCheckProbe.InventoryProvider? = nil) throws(SockdiagError) -> ConnectCheckObservation {
        let (resolved, plain) = try resolve(query)
        let ipv6Works = socketFamilyWorks(AF_INET6)
        let addresses = ConnectCheckObservation.addressesToExamine(query: query, resolved: resolved, withoutAddrconfig: plain,
                                                                   ipv6Works: ipv6Works)
        let routes = RouteNetlink.routes(to: addresses)
        var (sockets, _) = try BindCheckProbe.sockets(query.transport, filter: .port(query.port), listeningOnly: true)
        BindCheckProbe.attachOwners(&sockets, table: sockets.count > 1 ? inventory?() : nil)
        var probes: [IPAddress: ProbeResult]? = nil
        if probe {
            probes = [:]
            for address in addresses { probes?[address] = self.probe(SocketAddress(address, query.port), transport: query.transport) }
        }
        func text(_ path: String) -> String? {
            guard case let .success(bytes) = SystemFile.readBytes(path, limit: 4 << 20) else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        }
        var observation = ConnectCheckObservation(
            query: query, resolved: resolved, resolvedWithoutAddrconfig: plain,
            hosts: text("/etc/hosts").map { HostsFile(path: "/etc/hosts", text: $0) },
            nameServices: NameServiceOrder(nsswitch: text("/etc/nsswitch.conf")), gaiConf: text("/etc/gai.conf"),
            routes: routes, sockets: sockets, defaultV6only: SystemFile.readValue("/proc/sys/net/ipv6/bindv6only") == "1",
            ipv6Works: ipv6Works, netns: netns, probes: probes, kernel: BindCheckSystemReader.kernelRelease())
        observation.addressDevices = BindCheckSystemReader.localAddressesWithDevices().2
        return observation
    }

    /// Both lists clients start from; an unresolvable name is the resolver's error, as bad input.
    static func resolve(_ query: ConnectCheckQuery) throws(SockdiagError) -> ([IPAddress], [IPAddress]) {
        guard case let .name(name) = query.host else {
            guard case let .address(address) = query.host else { return ([], []) }
            return ([address], [address])
        }
        let withFlag = Resolver.resolve(name, transport: query.transport, addrconfig: true)
        let without = Resolver.resolve(name, transport: query.transport, addrconfig: false)
        switch (withFlag, without) {
        case let (.success(a), .success(b)): return (a, b)
        case let (.failure, .success(b)): return ([], b)
        case let (.success(a), .failure): return (a, a)
        case let (.failure(failure), .failure):
            throw .invalidInput("cannot resolve '\(name)': \(failure.message) (\(failure.name))")
        }
    }

    static func socketFamilyWorks(_ family: Int32) -> Bool {
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// How long a probe waits for a handshake, and for the server to accept() it.
    static let connectTimeoutMs: Int32 = 1000
    static let acceptWaitMs = 2000

    /// TCP: connect, find the accepted socket by its 4-tuple, close without sending. UDP: one
    /// empty datagram, then a short wait for a port unreachable.
    public static func probe(_ destination: SocketAddress, transport: TransportProtocol) -> ProbeResult {
        let type = (transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue))
            | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(destination.family.socketFamilyValue, type, 0)
        guard fd >= 0 else { return ProbeResult(address: destination.address, outcome: .failed(.current)) }
        // Closed when the probe returns, after the accepted socket is looked up.
        let owned = OwnedSocket(owning: fd)
        // The errno is read inside, right after connect: leaving the closures may call into the
        // runtime first.
        let failure: Errno? = owned.withDescriptor { fd in
            destination.withSockaddr { connect(fd, $0, $1) == 0 ? nil : Errno.current }
        }
        if let failure {
            guard failure == Errno(EINPROGRESS) else { return ProbeResult(address: destination.address, outcome: outcome(failure)) }
            guard wait(fd, for: Int16(POLLOUT), timeoutMs: connectTimeoutMs) else {
                return ProbeResult(address: destination.address, outcome: .timedOut)
            }
            let soError = socketError(fd)
            guard soError == 0 else { return ProbeResult(address: destination.address, outcome: outcome(Errno(soError))) }
        }
        let client = localAddress(fd)
        if transport == .udp {
            _ = send(fd, nil, 0, Int32(MSG_NOSIGNAL))
            // Loopback answers a datagram nobody takes with an ICMP port unreachable at once.
            if wait(fd, for: Int16(POLLIN), timeoutMs: 200), socketError(fd) == ECONNREFUSED {
                return ProbeResult(address: destination.address, outcome: .refused, client: client)
            }
            return ProbeResult(address: destination.address, outcome: .accepted, client: client,
                               note: "no port unreachable came back; a datagram has no accepted socket to name")
        }
        guard let client else { return ProbeResult(address: destination.address, outcome: .accepted) }
        let (accepted, note) = acceptedSocket(destination, client: client)
        return ProbeResult(address: destination.address, outcome: .accepted, client: client, acceptedBy: accepted, note: note)
    }

    /// The server's end of our connection: local = destination, remote = our client address.
    /// Waits a little for the server to accept() it, since a socket still in the accept queue
    /// has no file and so no owner.
    static func acceptedSocket(_ destination: SocketAddress, client: SocketAddress) -> (BindCheckSocket?, String?) {
        var found: BindCheckSocket?
        for _ in 0..<(acceptWaitMs / 10) {
            let sockets = (try? BindCheckNetlink.dump(.tcp, filter: .port(destination.port))) ?? []
            found = sockets.first {
                !$0.acceptsNewClients && $0.local.port == destination.port && $0.local.address.unmapped == destination.address.unmapped
                    && $0.remote.port == client.port && $0.remote.address.unmapped == client.address.unmapped
            }
            if let socket = found, socket.inode != 0 { break }
            usleep(10_000)
        }
        guard var socket = found else { return (nil, "the accepted socket was gone before sockdiag could look it up") }
        guard socket.inode != 0 else {
            return (socket, "still in the listener's accept queue after \(acceptWaitMs) ms: no process has accepted it")
        }
        var one = [socket]
        BindCheckProbe.attachOwners(&one)
        socket = one[0]
        return (socket, nil)
    }

    static func outcome(_ errno: Errno) -> ProbeResult.Outcome {
        errno == .connectionRefused ? .refused : .failed(errno)
    }

    static func wait(_ fd: Int32, for events: Int16, timeoutMs: Int32) -> Bool {
        ((try? Syscall.poll(fd, for: events, timeoutMilliseconds: timeoutMs)) ?? 0) != 0
    }

    static func socketError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length)
        return value
    }

    static func localAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0, let port = SockdiagSystem.localPort(ofSocket: fd) else { return nil }
        let address = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { IPAddress(socketAddress: $0) }
        }
        return address.map { SocketAddress($0, port) }
    }
}
