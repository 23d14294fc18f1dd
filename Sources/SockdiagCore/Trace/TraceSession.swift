/// Follows a trace event by event: names each egress socket's process from its connect or send,
/// hands out each socket's lesson once, and keeps the summary.
public struct TraceSession: Sendable {
    public private(set) var summary = TraceSummary()
    private var owners: [UInt64: Owner] = [:]
    /// TCP listeners' processes, which own what the listeners accept.
    private var listeners = TCPListenerHolders<Listener>()
    private var taught = TaughtLessons()
    /// Packets the policy dropped, per socket, from its final records (which come before the
    /// tracer's final egress records): a socket that passed none sent nothing.
    private var droppedPackets: [UInt64: UInt64] = [:]
    private var races = TraceRaceTracker()
    /// Races settled by the events processed so far, for the caller to look at and show
    /// (`takeSettledRaces`); their attempts' sockets are in the events already shown.
    private var settled: [TraceRace] = []
    /// Bounds memory on long traces; an evicted owner only loses the pid of a late egress record.
    private let ownerLimit: Int

    private struct Owner: Hashable, Sendable {
        let pid: Int32
        let comm: String
        let cgroup: ProcessCgroup?
        let socketFamily: AddressFamily
        /// The address a connect gave the socket (UDP outcomes carry none of their own).
        var peer: SocketAddress?
        /// Its connect's outcome came: a later `failed` is the socket disconnected after it
        /// (a blocking connect that failed clears the peer port), not a connect without a SYN.
        var connectEnded = false
    }

    private struct Listener: Sendable {
        let pid: Int32
        let comm: String
        let cgroup: ProcessCgroup?
    }

    /// The lessons each socket has taught, one bit per lesson under its cookie: an event costs one
    /// hash of a UInt64 here, where a set of (cookie, lesson) pairs hashed both at every insert
    /// and every socket's final record.
    private struct TaughtLessons: Sendable {
        private var lessons: [UInt64: UInt16] = [:]
        /// (socket, lesson) pairs held.
        private(set) var count = 0

        private static func bit(_ lesson: TraceLesson) -> UInt16 {
            switch lesson {
            case .mappedConnect: return 1 << 0
            case .mappedSend: return 1 << 1
            case .mappedBind: return 1 << 2
            case .familyDiffersFromWire: return 1 << 3
            case .attemptTimeout: return 1 << 4
            case .abortedAfterICMP: return 1 << 5
            case .refusedFallback: return 1 << 6
            case .unreachable: return 1 << 7
            case .silentTimeout: return 1 << 8
            }
        }

        /// Whether the socket had not taught the lesson yet (it has now).
        mutating func insert(cookie: UInt64, lesson: TraceLesson) -> Bool {
            let bit = Self.bit(lesson)
            var inserted = false
            Self.update(&lessons[cookie, default: 0]) { inserted = $0 & bit == 0; $0 |= bit }
            if inserted { count += 1 }
            return inserted
        }

        mutating func remove(cookie: UInt64, lesson: TraceLesson) {
            guard let index = lessons.index(forKey: cookie) else { return }
            let bit = Self.bit(lesson), held = lessons.values[index]
            guard held & bit != 0 else { return }
            if held == bit { lessons.remove(at: index) } else { lessons.values[index] = held & ~bit }
            count -= 1
        }

        mutating func removeAll() {
            lessons.removeAll(keepingCapacity: true)
            count = 0
        }

        private static func update(_ value: inout UInt16, _ body: (inout UInt16) -> Void) { body(&value) }
    }

    /// The NAT64 prefixes connects and sends are classified against.
    public let nat64: NAT64Prefixes

    public init(ownerLimit: Int = 1 << 18, nat64: NAT64Prefixes = .builtIn) {
        self.ownerLimit = ownerLimit
        self.nat64 = nat64
    }

    /// The event with what earlier events knew about its socket, and the lesson it teaches if this
    /// socket has not taught it yet.
    public mutating func process(_ event: TraceEvent) -> (event: TraceEvent, lesson: TraceLesson?) {
        var event = event
        switch event {
        case var .socketCall(call):
            if !nat64.isBuiltIn, case let .v6(address) = call.address, let match = nat64.match(address) {
                call.nat64 = TraceNAT64Match(classification: address.classification(nat64: nat64), prefix: match.prefix)
                event = .socketCall(call)
            }
            let isConnect = call.hook.call == .connect
            recordOwner(cookie: call.cookie, pid: call.pid, comm: call.comm, cgroup: call.context.cgroup, socketFamily: call.socketFamily,
                        connectedTo: isConnect ? SocketAddress(call.address, call.port) : nil)
            if call.hook.call == .bind, call.transport == .tcp {
                listeners.add(address: WireAddress(call.address), port: call.port.value,
                              holder: Listener(pid: call.pid, comm: call.comm, cgroup: call.context.cgroup))
            }
            if isConnect { _ = races.connect(call) }
        case var .outcome(outcome):
            if let index = owners.index(forKey: outcome.cookie) {
                if outcome.kind.endsConnect { owners.values[index].connectEnded = true }
                let owner = owners.values[index]
                outcome.pid = owner.pid
                outcome.comm = owner.comm
                outcome.cgroup = owner.cgroup
                if outcome.remote == nil {
                    outcome.remote = owner.peer
                    outcome.socketFamily = owner.socketFamily
                }
            }
            let race = races.outcome(outcome)
            outcome.group = race.group
            if let settled = race.settled { self.settled.append(settled) }
            event = .outcome(outcome)
        case var .egress(egress):
            // One lookup serves the naming and the final record's removal.
            let ownerIndex = owners.index(forKey: egress.cookie)
            if let ownerIndex {
                let owner = owners.values[ownerIndex]
                egress.pid = owner.pid
                egress.comm = owner.comm
                egress.cgroup = owner.cgroup
            } else if egress.transport == .tcp,
                      let server = listeners.holder(localAddress: WireAddress(egress.local.address), localPort: egress.local.port.value) {
                // An accepted socket: no call of its own, its listener's process holds it.
                egress.pid = server.pid
                egress.comm = server.comm
                egress.cgroup = server.cgroup
            }
            if egress.isFinal {
                if let dropped = droppedPackets[egress.cookie], egress.packets <= dropped { summary.recordAllDropped(egress) }
                if let ownerIndex { owners.remove(at: ownerIndex) }
                taught.remove(cookie: egress.cookie, lesson: .familyDiffersFromWire)
            }
            event = .egress(egress)
        }
        summary.record(event)
        guard let lesson = TraceLesson.lesson(for: event) else { return (event, nil) }
        if case let .egress(egress) = event, egress.isFinal { return (event, nil) }
        guard taught.insert(cookie: event.cookie, lesson: lesson) else { return (event, nil) }
        if taught.count > ownerLimit { taught.removeAll() }
        summary.record(lesson)
        return (event, lesson)
    }

    public mutating func setCounters(_ counters: TraceCounters) { summary.counters = counters }

    /// How many sockets the target held at the start, and how long reading them took.
    public mutating func setExisting(count: Int, readNs: UInt64?) {
        summary.existingSockets = count
        summary.existingReadNs = readNs
    }

    /// Races settled since the last call; with `endOfTrace`, also those still waiting for an outcome.
    public mutating func takeSettledRaces(endOfTrace: Bool = false) -> [TraceRace] {
        var taken = settled
        settled.removeAll()
        if endOfTrace { taken += races.finish() }
        return taken
    }

    /// Counts a race shown to the user, and hands out its lessons (once per race).
    public mutating func record(_ race: TraceRace) -> [TraceLesson] {
        summary.record(race)
        let lessons = race.lessons
        for lesson in lessons { summary.record(lesson) }
        return lessons
    }

    /// A socket held before the run: its later egress and outcome records name its process.
    public mutating func record(existing socket: TraceExistingSocket) {
        recordOwner(cookie: socket.cookie, pid: socket.pid, comm: socket.comm, cgroup: socket.cgroup, socketFamily: socket.socketFamily)
        owners[socket.cookie]?.peer = socket.remote
        if socket.state == .listen, socket.transport == .tcp {
            listeners.add(address: WireAddress(socket.local.address), port: socket.local.port.value,
                          holder: Listener(pid: socket.pid, comm: socket.comm, cgroup: socket.cgroup))
        }
    }

    /// The socket's first call names its owner; a connect also records where to, on an owner
    /// new or known.
    mutating func recordOwner(cookie: UInt64, pid: Int32, comm: String, cgroup: ProcessCgroup?, socketFamily: AddressFamily,
                              connectedTo peer: SocketAddress? = nil) {
        if let index = owners.index(forKey: cookie) {
            if let peer { owners.values[index].peer = peer }
            return
        }
        if owners.count >= ownerLimit { owners.removeAll(keepingCapacity: true) }
        owners[cookie] = Owner(pid: pid, comm: comm, cgroup: cgroup, socketFamily: socketFamily, peer: peer)
    }

    /// The process that connected the socket and where to: what a `failed` outcome's reason is
    /// looked up with.
    public func connect(of cookie: UInt64) -> (pid: Int32, peer: SocketAddress)? {
        guard let owner = owners[cookie], let peer = owner.peer, !owner.connectEnded else { return nil }
        return (owner.pid, peer)
    }

    func owner(of cookie: UInt64) -> (pid: Int32, comm: String, cgroup: ProcessCgroup?)? {
        owners[cookie].map { ($0.pid, $0.comm, $0.cgroup) }
    }

    mutating func recordDropped(_ blocked: TraceEgress) {
        if blocked.isFinal { droppedPackets[blocked.cookie] = blocked.packets }
    }

    mutating func summaryRecord(redirect: Bool, blockedSocket: Bool) {
        if redirect { summary.redirects += 1 }
        if blockedSocket { summary.blockedSockets += 1 }
    }
}
