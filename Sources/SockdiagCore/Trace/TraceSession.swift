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

    /// The processes that own the sockets in `owners`, each held once: a socket names its process
    /// by position, so an owner stays a few words however long its cgroup's path.
    private var processes: [Listener] = []
    /// The position in `processes` of each pid's latest (comm, cgroup).
    private var processOfPid: [Int32: Int] = [:]

    private struct Owner: Hashable, Sendable {
        /// Its position in `processes`.
        let process: Int
        let socketFamily: AddressFamily
        /// The address a connect gave the socket (UDP outcomes carry none of their own).
        var peer: SocketAddress?
        /// Its connect's outcome came: a later `failed` is the socket disconnected after it
        /// (a blocking connect that failed clears the peer port), not a connect without a SYN.
        var connectEnded = false
    }

    /// A process that holds sockets: a listener's, or an owner's (`processes`).
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
        // A busy trace holds tens of thousands of sockets until their final records; growing the
        // table step by step rehashes every one of them each time.
        owners.reserveCapacity(min(ownerLimit, 1 << 15))
        self.nat64 = nat64
    }

    /// The event with what earlier events knew about its socket, and the lesson it teaches if this
    /// socket has not taught it yet.
    public mutating func process(_ event: TraceEvent) -> (event: TraceEvent, lesson: TraceLesson?) {
        switch event {
        case var .socketCall(call):
            let lesson = process(call: &call)
            return (.socketCall(call), lesson)
        case var .egress(egress):
            let lesson = process(egress: &egress)
            return (.egress(egress), lesson)
        case var .outcome(outcome):
            let lesson = process(outcome: &outcome)
            return (.outcome(outcome), lesson)
        }
    }

    /// `process(_:)` for a connect, send or bind, changed in place: the reader's path, which never
    /// wraps its records in a `TraceEvent` (copying an event costs more than processing it).
    public mutating func process(call: inout TraceSocketCall) -> TraceLesson? {
        if !nat64.isBuiltIn, case let .v6(address) = call.address, let match = nat64.match(address) {
            call.nat64 = TraceNAT64Match(classification: address.classification(nat64: nat64), prefix: match.prefix)
        }
        let isConnect = call.hook.call == .connect
        recordOwner(cookie: call.cookie, pid: call.pid, comm: call.comm, cgroup: call.context.cgroup, socketFamily: call.socketFamily,
                    connectedTo: isConnect ? SocketAddress(call.address, call.port) : nil)
        if call.hook.call == .bind, call.transport == .tcp {
            listeners.add(address: WireAddress(call.address), port: call.port.value,
                          holder: Listener(pid: call.pid, comm: call.comm, cgroup: call.context.cgroup))
        }
        if isConnect { _ = races.connect(call) }
        let classification = call.classification
        summary.record(call: call, classification: classification)
        return teach(cookie: call.cookie, TraceLesson.lesson(for: call, classification: classification))
    }

    /// `process(_:)` for an outcome, changed in place.
    public mutating func process(outcome: inout TraceOutcome) -> TraceLesson? {
        if let index = owners.index(forKey: outcome.cookie) {
            if outcome.kind.endsConnect { owners.values[index].connectEnded = true }
            let owner = owners.values[index]
            let process = processes[owner.process]
            outcome.pid = process.pid
            outcome.comm = process.comm
            outcome.cgroup = process.cgroup
            if outcome.remote == nil {
                outcome.remote = owner.peer
                outcome.socketFamily = owner.socketFamily
            }
        }
        let race = races.outcome(outcome)
        outcome.group = race.group
        if let settled = race.settled { self.settled.append(settled) }
        summary.record(outcome: outcome)
        return teach(cookie: outcome.cookie, TraceLesson.lesson(for: outcome))
    }

    /// `process(_:)` for an egress record, changed in place.
    public mutating func process(egress: inout TraceEgress) -> TraceLesson? {
        // One lookup serves the naming and the final record's removal.
        let ownerIndex = owners.index(forKey: egress.cookie)
        if let holder = egress.pid {
            // The kernel saw this process send on the socket from its own system call: it holds
            // the socket now (a worker an accepted socket was handed to, a child after fork).
            if egress.cgroup == nil, let ownerIndex {
                let process = processes[owners.values[ownerIndex].process]
                if process.pid == holder { egress.cgroup = process.cgroup }
            }
        } else if let ownerIndex {
            let process = processes[owners.values[ownerIndex].process]
            egress.pid = process.pid
            egress.comm = process.comm
            egress.cgroup = process.cgroup
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
        summary.record(egress: egress)
        // A socket's totals teach nothing its first packet did not.
        if egress.isFinal { return nil }
        return teach(cookie: egress.cookie, TraceLesson.lesson(for: egress))
    }

    /// The lesson, if this socket has not taught it yet.
    private mutating func teach(cookie: UInt64, _ lesson: TraceLesson?) -> TraceLesson? {
        guard let lesson, taught.insert(cookie: cookie, lesson: lesson) else { return nil }
        if taught.count > ownerLimit { taught.removeAll() }
        summary.record(lesson)
        return lesson
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
        if owners.count >= ownerLimit || processes.count >= ownerLimit {
            owners.removeAll(keepingCapacity: true)
            processes.removeAll(keepingCapacity: true)
            processOfPid.removeAll(keepingCapacity: true)
        }
        owners[cookie] = Owner(process: process(pid: pid, comm: comm, cgroup: cgroup), socketFamily: socketFamily, peer: peer)
    }

    /// The position of the process in `processes`, added if its pid is new or has since changed
    /// its name (exec) or cgroup.
    private mutating func process(pid: Int32, comm: String, cgroup: ProcessCgroup?) -> Int {
        if let index = processOfPid[pid] {
            let known = processes[index]
            if known.comm == comm && known.cgroup?.path == cgroup?.path { return index }
        }
        processes.append(Listener(pid: pid, comm: comm, cgroup: cgroup))
        processOfPid[pid] = processes.count - 1
        return processes.count - 1
    }

    /// The process that connected the socket and where to: what a `failed` outcome's reason is
    /// looked up with.
    public func connect(of cookie: UInt64) -> (pid: Int32, peer: SocketAddress)? {
        guard let owner = owners[cookie], let peer = owner.peer, !owner.connectEnded else { return nil }
        return (processes[owner.process].pid, peer)
    }

    func owner(of cookie: UInt64) -> (pid: Int32, comm: String, cgroup: ProcessCgroup?)? {
        owners[cookie].map { processes[$0.process] }.map { ($0.pid, $0.comm, $0.cgroup) }
    }

    mutating func recordDropped(_ blocked: TraceEgress) {
        if blocked.isFinal { droppedPackets[blocked.cookie] = blocked.packets }
    }

    mutating func summaryRecord(redirect: Bool, blockedSocket: Bool) {
        if redirect { summary.redirects += 1 }
        if blockedSocket { summary.blockedSockets += 1 }
    }
}
