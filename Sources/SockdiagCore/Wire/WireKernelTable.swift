/// What the kernel said about one socket's traffic to one destination: a connect, or the first
/// unconnected send to that destination.
struct WireKernelIntent: Sendable, Equatable {
    var cookie: UInt64
    var hook: TraceHook?
    var timeNs: UInt64?
    var pid: UInt32?
    var comm: WireComm
    var socketFamily: AddressFamily
    var transport: TransportProtocol?
    /// As the program passed it: `::ffff:10.0.0.2` for a dual-stack socket talking to 10.0.0.2.
    var address: WireAddress
    var port: UInt16
}

/// A socket's packets as cgroup_skb/egress saw them.
struct WireEgress: Sendable, Equatable {
    var cookie: UInt64
    /// When the socket's first packet left (wall clock, like the capture's timestamps).
    var timeNs: UInt64?
    var pid: UInt32?
    var comm: WireComm
    var socketFamily: AddressFamily?
    var wireIsIPv6: Bool
    var transport: TransportProtocol?
    var localAddress: WireAddress
    var localPort: UInt16
    var remoteAddress: WireAddress
    var remotePort: UInt16
    var packets: UInt64?
    var bytes: UInt64?
}

/// How a socket's connect ended and, once established, how its connection ended (trace's
/// `outcome` records).
struct WireOutcome: Sendable, Equatable {
    var connect: TraceOutcomeKind?
    /// Since connect() ran, at the connect's outcome.
    var connectElapsedNs: UInt64?
    var error: Errno?
    /// `reset` or `closed`.
    var end: TraceOutcomeKind?
    /// `error` is a connect's (which replaces an earlier one), not an end's (which only fills
    /// in a missing one): what `merge` needs to come out as one pass over the records would.
    private var errorIsTheConnects = false

    init() {}

    mutating func record(_ kind: TraceOutcomeKind, elapsed: UInt64?, error: Errno?) {
        // A socket whose connect already ended, released after a disconnect, is no failed connect.
        if kind == .failed && connect != nil { return }
        if kind.endsConnect {
            connect = kind
            connectElapsedNs = elapsed
            if let error {
                self.error = error
                errorIsTheConnects = true
            }
        } else {
            end = kind
            if self.error == nil { self.error = error }
        }
    }

    /// `refused 0.1 ms`, `established 0.043 ms, closed`: the connect's outcome and the connection's
    /// end, as the OUTCOME column and the pcapng packet comments say it.
    func write(to out: inout [UInt8]) {
        guard let connect else {
            if let end { WireText.append(end.rawValue, to: &out) }
            return
        }
        WireText.append(connect.rawValue, to: &out)
        if let connectElapsedNs {
            out.append(0x20)
            WireText.append(TraceOutcome.duration(connectElapsedNs), to: &out)
        }
        if let end {
            WireText.append(", ", to: &out)
            WireText.append(end.rawValue, to: &out)
        }
    }

    /// Another part's record of the same socket, read later in the log: the same as one pass
    /// over both parts' records, the error of an end read later included.
    mutating func merge(_ later: WireOutcome) {
        if let kind = later.connect {
            connect = kind
            connectElapsedNs = later.connectElapsedNs
        }
        if let end = later.end { self.end = end }
        if later.errorIsTheConnects || error == nil {
            error = later.error
            errorIsTheConnects = later.errorIsTheConnects
        }
    }
}

/// The kernel side of the join, built event by event: grows with sockets, not with packets.
public struct WireKernelTable: Sendable {
    private(set) var intents: [WireKernelIntent] = []
    private(set) var egress: [WireEgress] = []
    /// A socket's first intent, by cookie: the one most sockets have, found near its neighbours'.
    private var firstIntentIndex = WireRowIndex()
    /// A socket's later intents (a UDP socket's other destinations), by cookie and destination.
    private var laterIntentIndex = WireRowIndex()
    private var egressIndex = WireRowIndex()
    private var egressCookies = WireCookieBits()
    /// Outcomes by socket cookie; most logs have one or two per connect.
    private(set) var outcomes = WireOutcomeTable()
    /// Who holds the sockets whose connect was not traced: open before the run, or accepted.
    private(set) var holders = WireSocketHolders()
    public private(set) var ignoredEvents = 0
    private(set) var lost: UInt64 = 0

    /// Connects, sends and egress records: what the join walks.
    public var recordCount: Int { intents.count + egress.count }

    public init() {}

    /// Room for a log of about `lines` lines (a trace writes about one connect and two egress
    /// records per socket), so the tables do not grow step by step.
    mutating func reserveCapacity(lines: Int) {
        intents.reserveCapacityInHugePages(lines / 4)
        firstIntentIndex.reserveCapacity(lines / 4)
        egress.reserveCapacityInHugePages(lines / 2)
        egressIndex.reserveCapacity(lines / 2)
        // A connect's outcome and its connection's end: two lines per socket.
        outcomes.reserveCapacity(lines / 8)
    }

    public mutating func add(_ event: WireKernelEvent) {
        switch event.kind {
        case .connect, .sendmsg:
            guard let cookie = event.cookie, let family = event.socketFamily, let address = event.address,
                  let port = event.port else { return }
            add(intent: WireKernelIntent(cookie: cookie, hook: event.hook, timeNs: event.timeNs,
                                         pid: event.pid, comm: event.comm, socketFamily: family,
                                         transport: event.transport ?? (event.kind == .sendmsg ? .udp : nil),
                                         address: address, port: port))
        case .egress:
            guard let cookie = event.cookie, let wireIsIPv6 = event.wireIsIPv6, let local = event.localAddress,
                  let localPort = event.localPort, let remote = event.remoteAddress,
                  let remotePort = event.remotePort else { return }
            add(egress: WireEgress(cookie: cookie, timeNs: event.timeNs, pid: event.pid,
                                   comm: event.comm, socketFamily: event.socketFamily, wireIsIPv6: wireIsIPv6,
                                   transport: event.transport, localAddress: local, localPort: localPort,
                                   remoteAddress: remote, remotePort: remotePort, packets: event.packets,
                                   bytes: event.bytes))
        case .outcome:
            guard let cookie = event.cookie, let kind = event.outcome else { return }
            outcomes.update(cookie) { $0.record(kind, elapsed: event.elapsedNs, error: event.error) }
        case .summary:
            lost += event.lost ?? 0
        case .socket:
            holders.add(socket: event)
        case .bind where event.transport == .tcp && event.pid != nil:
            holders.add(bind: event)
        case .bind, .other:
            ignoredEvents += 1
        }
    }

    /// A connect or send, unless the socket already has one to this destination.
    mutating func add(intent: WireKernelIntent) {
        guard !hasIntent(cookie: intent.cookie, unmapped: intent.address.unmapped, port: intent.port) else { return }
        intents.append(intent)
    }

    /// A socket's egress record: the first names the socket; a later one (the totals at the end)
    /// updates its counts, and its process where it names one: the socket's holder at the end (a
    /// worker an accepted socket was handed to, where the first record named its listener's process).
    mutating func add(egress record: WireEgress) {
        if let at = egressRow(cookie: record.cookie) {
            if let packets = record.packets { egress[at].packets = packets }
            if let bytes = record.bytes { egress[at].bytes = bytes }
            if let pid = record.pid {
                egress[at].pid = pid
                if !record.comm.isEmpty { egress[at].comm = record.comm }
            } else if egress[at].comm.isEmpty {
                egress[at].comm = record.comm
            }
        } else {
            egressIndex.insert(hash: WireRowIndex.cookieHash(record.cookie), row: egress.count)
            egressCookies.insert(record.cookie)
            egress.append(record)
        }
    }

    /// The counts of a table read from a later part of the same log.
    mutating func addCounts(of later: WireKernelTable) {
        outcomes.merge(later.outcomes)
        holders.merge(later.holders)
        lost += later.lost
        ignoredEvents += later.ignoredEvents
    }

    /// Whether the socket connected or sent at all.
    func hasIntent(cookie: UInt64) -> Bool { firstIntentRow(cookie: cookie) != nil }

    /// The row in `intents` of the socket's first connect or send.
    private func firstIntentRow(cookie: UInt64) -> Int? {
        intents.withUnsafeBufferPointer { intents in
            firstIntentIndex.find(hash: WireRowIndex.cookieHash(cookie)) { intents[$0].cookie == cookie }
        }
    }

    /// Whether the socket already has an intent to this destination; when not, indexes the one
    /// about to be appended.
    private mutating func hasIntent(cookie: UInt64, unmapped: WireAddress, port: UInt16) -> Bool {
        let row = intents.count
        guard let first = firstIntentRow(cookie: cookie) else {
            firstIntentIndex.insert(hash: WireRowIndex.cookieHash(cookie), row: row)
            return false
        }
        if intents[first].port == port && intents[first].address.unmapped == unmapped { return true }
        let hash = WireRowIndex.hash(cookie, unmapped.high, unmapped.low, UInt64(port))
        let later = intents.withUnsafeBufferPointer { intents in
            laterIntentIndex.find(hash: hash) {
                intents[$0].cookie == cookie && intents[$0].port == port && intents[$0].address.unmapped == unmapped
            }
        }
        if later != nil { return true }
        laterIntentIndex.insert(hash: hash, row: row)
        return false
    }

    func egress(cookie: UInt64) -> WireEgress? { egressRow(cookie: cookie).map { egress[$0] } }

    /// Asked of every socket's totals at the end of a log, in the tracer's map order: answered
    /// from the cookie bits, without a cache miss per socket.
    func hasEgress(cookie: UInt64) -> Bool { egressCookies.contains(cookie) ?? (egressRow(cookie: cookie) != nil) }

    /// The index in `egress` of the socket's record.
    @inline(__always)
    func egressRow(cookie: UInt64) -> Int? {
        egress.withUnsafeBufferPointer { egress in egressIndex.find(hash: WireRowIndex.cookieHash(cookie)) { egress[$0].cookie == cookie } }
    }
}
