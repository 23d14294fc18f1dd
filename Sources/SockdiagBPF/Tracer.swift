import CSockdiagShim
import SockdiagCore
import SockdiagSystem

/// bpf/trace.bpf.c loaded, attached to one cgroup through bpf_links (which the kernel drops when
/// this process exits, even by SIGKILL), and its ring buffer read as `TraceEvent`s. The programs
/// detach once: by the consuming `detach()`, or when the tracer goes out of scope; a second detach,
/// or a poll after it, does not compile.
///
///     var tracer = try Tracer()
///     try tracer.attach(to: cgroup)
///     while running { try tracer.poll(timeoutMilliseconds: 50) { event in ... } }
///     let totals = tracer.egressTotals()   // final per-socket egress counts
///     let counters = tracer.counters()     // lost events
///     tracer.detach()
public struct Tracer: ~Copyable {
    // Torn down in the order of declaration: the outcome programs, the trace programs, the ring.
    /// bpf/outcome.bpf.c, writing into `object`'s ring and counters, and keeping a traced TCP
    /// connect's state in its entry of `object`'s egress table.
    private var outcomes: LoadedBPFObject
    private var object: LoadedBPFObject
    private let ring: RingBufferReader
    private let backlog: RingBufferBacklog
    /// With `yieldingReader`, the reading thread yields its CPU to the traced programs while the
    /// ring has room.
    private var priority: ReaderPriority
    private let decoder = TraceRecordDecoder()

    /// The programs, in attach order; each one's section names its cgroup hook.
    static let programNames: [TraceBPF.Program] = [.traceConnect4, .traceConnect6, .traceSendmsg4, .traceSendmsg6,
                                                   .tracePostBind4, .tracePostBind6, .traceEgress]

    /// The outcome programs: the tracepoints, which look only at sockets the trace object's
    /// connect programs marked and so come before them, then the cgroup's releases.
    static let outcomeTracepoints: [OutcomeBPF.Program] = [.outcomeDestroy, .outcomeReceiveReset, .outcomeErrorReport]
    static let outcomeCgroupPrograms: [OutcomeBPF.Program] = [.outcomeSockRelease]

    /// --pid: the fork and exit tracepoints that keep the set of traced processes.
    static let processFilterTracepoints: [TraceBPF.Program] = [.traceFork, .traceExit]
    /// The processes whose events are kept (`--pid`); nil keeps the whole cgroup's.
    private let processes: [Int32]?

    /// Loads the embedded objects into the kernel. Nothing is attached yet. With `processes`, the
    /// programs keep only the events of those processes and of the children they fork once attached.
    /// With `yieldingReader`, the thread that polls runs at the lowest priority while the ring is
    /// far from full (see `poll`); it must be the thread that created the tracer.
    public init(processes: [Int32]? = nil, yieldingReader: Bool = false) throws(SockdiagError) {
        let filter = UInt32(processes == nil ? 0 : 1)
        let namespace = ThisProcess.pidNamespaceInode ?? 0
        let object = try LoadedBPFObject.load(EmbeddedPrograms.trace, name: "trace",
                                              readOnly: [TraceBPF.ReadOnly.filterByProcess.set(to: filter),
                                                         TraceBPF.ReadOnly.readerPidNamespace.set(to: namespace)])
        let outcomes = try LoadedBPFObject.load(EmbeddedPrograms.outcome, name: "outcome",
                                                sharing: [(OutcomeBPF.Map.events, object.mapDescriptor(TraceBPF.Map.events)),
                                                          (OutcomeBPF.Map.stats, object.mapDescriptor(TraceBPF.Map.stats)),
                                                          (OutcomeBPF.Map.tracedProcesses, object.mapDescriptor(TraceBPF.Map.tracedProcesses)),
                                                          (OutcomeBPF.Map.tracedProcessesGeneration,
                                                           object.mapDescriptor(TraceBPF.Map.tracedProcessesGeneration)),
                                                          (OutcomeBPF.Map.egress, object.mapDescriptor(TraceBPF.Map.egress)),
                                                          (OutcomeBPF.Map.egressFilter, object.mapDescriptor(TraceBPF.Map.egressFilter)),
                                                          (OutcomeBPF.Map.udpConnections, object.mapDescriptor(TraceBPF.Map.udpConnections))],
                                                readOnly: [OutcomeBPF.ReadOnly.filterByProcess.set(to: filter),
                                                           OutcomeBPF.ReadOnly.readerPidNamespace.set(to: namespace)])
        let ring = try RingBufferReader(mapDescriptor: object.mapDescriptor(TraceBPF.Map.events), what: "trace")
        let backlog = try RingBufferBacklog(mapDescriptor: object.mapDescriptor(TraceBPF.Map.events))
        // Every part made before any is stored: a non-copyable value is whole or not at all.
        self.processes = processes
        self.outcomes = outcomes
        self.object = object
        self.ring = ring
        self.backlog = backlog
        priority = ReaderPriority(yielding: yieldingReader)
    }

    /// Attaches every program to the cgroup. On failure nothing stays attached. With --pid, the
    /// processes are entered into the kernel's set here; one that is already gone is refused.
    public mutating func attach(to cgroup: CgroupDirectory) throws(SockdiagError) {
        do throws(SockdiagError) {
            if let processes {
                try object.attachTracing(Tracer.processFilterTracepoints)
                for pid in processes { try object.insert(UInt32(pid), 1, into: TraceBPF.Map.tracedProcesses) }
                // The exit tracepoint removes a process that ended; one that ended before it was
                // attached is checked here.
                for pid in processes where !ProcessState.isRunning(pid) {
                    throw SockdiagError.invalidInput("process \(pid) exited before tracing started")
                }
            }
            try outcomes.attachTracing(Tracer.outcomeTracepoints)
            try object.attach(Tracer.programNames, to: cgroup)
            try outcomes.attach(Tracer.outcomeCgroupPrograms, to: cgroup)
        } catch {
            outcomes.detachLinks()
            object.detachLinks()
            throw error
        }
    }

    /// Waits up to `timeoutMilliseconds` for events and hands each to `handler`; returns how many.
    /// The BPF side wakes the reader only when much is pending, so the wait usually runs its course.
    /// With `yieldingReader`, the calling thread runs at the lowest priority while the ring is at
    /// most an eighth full (the traced programs keep the CPUs; their records wait in the ring), and
    /// at its own once it passes half, looked at again every few hundred records.
    @discardableResult
    public mutating func poll(timeoutMilliseconds: Int32, _ handler: (TraceEvent) -> Void) throws(SockdiagError) -> Int {
        priority.adjust(pending: backlog.pendingBytes, capacity: backlog.capacity)
        var records = 0
        return try ring.poll(timeoutMilliseconds: timeoutMilliseconds) { data, size in
            records &+= 1
            if records & 255 == 0 { priority.adjust(pending: backlog.pendingBytes, capacity: backlog.capacity) }
            if let event = decoder.decode(data, size: size) { handler(event) }
        }
    }

    /// `poll` handing each record to `handler` as its own kind, never wrapped in a `TraceEvent`:
    /// the reader's path, where copying an event costs more than showing it.
    @discardableResult
    public mutating func poll<Handler: TraceRecordHandler>(timeoutMilliseconds: Int32, into handler: inout Handler) throws(SockdiagError) -> Int {
        priority.adjust(pending: backlog.pendingBytes, capacity: backlog.capacity)
        var records = 0
        return try ring.poll(timeoutMilliseconds: timeoutMilliseconds) { data, size in
            records &+= 1
            if records & 255 == 0 { priority.adjust(pending: backlog.pendingBytes, capacity: backlog.capacity) }
            decoder.decode(data, size: size, into: &handler)
        }
    }

    /// Where the ring stands now: `hasRead(through:)` of it says when every record written before
    /// this moment has been read. A run's last reading goes that far, in as many polls as it takes
    /// (one poll hands on a bounded number), and no further, however fast a traced program writes.
    public var writtenPosition: UInt64 { backlog.producerPosition }

    public func hasRead(through position: UInt64) -> Bool { backlog.hasConsumed(through: position) }

    /// --pid: whether every traced process (and every child it forked) has exited.
    public var tracedProcessesExited: Bool {
        processes != nil && object.isEmpty(TraceBPF.Map.tracedProcesses)
    }

    /// Every socket's egress so far, as final records (`isFinal`), read from the per-socket table's
    /// held slots.
    public func egressTotals() -> [TraceEgress] {
        var totals: [TraceEgress] = []
        forEachEgressTotal { totals.append($0) }
        return totals
    }

    /// `egressTotals()` one at a time, in the same order, without holding them all: a run of many
    /// short connections ends with tens of thousands.
    public func forEachEgressTotal(_ body: (TraceEgress) -> Void) {
        let held: [sockdiag_socket_slot] = object.mappedValues(TraceBPF.Map.egress, as: sockdiag_socket_slot.self) { $0.egress.cookie != 0 }
            ?? object.entries(TraceBPF.Map.egress, zero: sockdiag_socket_slot()).filter { $0.egress.cookie != 0 }
        decoder.forEachFinalEgress(held.map { $0.egress }, body)
    }

    /// What the BPF side could not report, summed over CPUs.
    public func counters() -> TraceCounters {
        var counters = TraceCounters()
        for value in object.perCPUValues(TraceBPF.Map.stats, zero: sockdiag_trace_stats()) {
            counters.lostEvents += value.lost_events
            counters.egressUntracked += value.egress_untracked
            counters.egressUnattributed += value.egress_unattributed
        }
        return counters
    }

    /// Detaches every program and unloads the objects: the tracer is gone.
    public consuming func detach() {}
}

/// What takes the tracer's records one kind at a time (`Tracer.poll(timeoutMilliseconds:into:)`).
public protocol TraceRecordHandler {
    mutating func handle(call: consuming TraceSocketCall)
    mutating func handle(egress: consuming TraceEgress)
    mutating func handle(outcome: consuming TraceOutcome)
}
