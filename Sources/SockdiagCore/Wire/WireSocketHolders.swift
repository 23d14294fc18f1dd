/// A process as the join names it.
struct WireProcess: Sendable, Equatable {
    var pid: UInt32
    var comm: WireComm
}

/// The holders of TCP listeners by local address and port: the process a socket accepted on
/// that port belongs to, though the hooks saw no call of the server's for it. A listener comes
/// from the run's snapshot (`LISTEN`) or from a TCP bind during the run.
struct TCPListenerHolders<Holder: Sendable>: Sendable {
    private var byPort: [UInt16: [(address: WireAddress, holder: Holder)]] = [:]

    init() {}

    var isEmpty: Bool { byPort.isEmpty }

    /// The first holder of an address and port stays.
    mutating func add(address: WireAddress, port: UInt16, holder: Holder) {
        let address = address.unmapped
        guard !(byPort[port]?.contains { $0.address == address } ?? false) else { return }
        byPort[port, default: []].append((address, holder))
    }

    /// Those of another table, after this one's.
    mutating func merge(_ other: TCPListenerHolders) {
        for (port, listeners) in other.byPort {
            for listener in listeners { add(address: listener.address, port: port, holder: listener.holder) }
        }
    }

    /// The holder of the listener a TCP socket with this local end was accepted on: the same
    /// address first, then a wildcard one.
    func holder(localAddress: WireAddress?, localPort: UInt16) -> Holder? {
        guard let listeners = byPort[localPort] else { return nil }
        let local = localAddress?.unmapped
        return (listeners.first { $0.address == local } ?? listeners.first { $0.address.ipAddress.isUnspecified })?.holder
    }
}

/// Who holds the sockets whose connect the trace did not see, so their rows name a process too:
/// the sockets open before the run (trace's `socket` events), by cookie, and the TCP listeners
/// (open before the run, or bound during it), for the sockets they accept.
struct WireSocketHolders: Sendable {
    private var byCookie: [UInt64: WireProcess] = [:]
    private var tcpListeners = TCPListenerHolders<WireProcess>()

    init() {}

    var isEmpty: Bool { byCookie.isEmpty && tcpListeners.isEmpty }

    /// A `socket` event: the socket's holder, and when it listens on TCP, the holder of what it
    /// accepts.
    mutating func add(socket event: WireKernelEvent) {
        guard let cookie = event.cookie, let pid = event.pid else { return }
        let holder = WireProcess(pid: pid, comm: event.comm)
        if byCookie[cookie] == nil { byCookie[cookie] = holder }
        if event.listening, event.transport == .tcp, let address = event.localAddress, let port = event.localPort {
            tcpListeners.add(address: address, port: port, holder: holder)
        }
    }

    /// A TCP bind during the run: a server about to listen.
    mutating func add(bind event: WireKernelEvent) {
        guard event.transport == .tcp, let pid = event.pid, let address = event.address, let port = event.port else { return }
        tcpListeners.add(address: address, port: port, holder: WireProcess(pid: pid, comm: event.comm))
    }

    /// Those of a later part of the same log.
    mutating func merge(_ later: WireSocketHolders) {
        for (cookie, holder) in later.byCookie where byCookie[cookie] == nil { byCookie[cookie] = holder }
        tcpListeners.merge(later.tcpListeners)
    }

    /// The socket's holder from the snapshot, or for a TCP socket the holder of its listener.
    func holder(cookie: UInt64, transport: TransportProtocol?, localAddress: WireAddress?, localPort: UInt16?) -> WireProcess? {
        if let holder = byCookie[cookie] { return holder }
        guard transport != .udp, let localPort else { return nil }
        return tcpListeners.holder(localAddress: localAddress, localPort: localPort)
    }
}
