import SockdiagBPF
import SockdiagCore
import SockdiagSystem

/// `sockdiag trace`: connects, sends and binds of a cgroup as the kernel saw them.
public enum Trace {
    public static func run(_ options: TraceOptions, _ terminal: Terminal) throws -> ExitStatus {
        let live = try LiveRun(options.target, transientPrefix: "sockdiag-trace") { missing in
            "needs root: attaching eBPF programs to a cgroup requires \(missing); run it with sudo"
        }
        defer { live.release() }
        if let path = options.output { try AtomicFile.checkWritable(path) }
        if !options.policy.isEmpty && !options.force && live.watchesWholeHost {
            throw SockdiagError.invalidInput("refusing to enforce --redirect/--block-ipv6 on the root cgroup (every process on the host); give a narrower cgroup, or --force")
        }

        // The policy goes first, so the tracer sees the destinations the kernel really uses. Both
        // detach once: below, or when they go out of scope on a throw.
        var enforcer: PolicyEnforcer? = options.policy.isEmpty ? nil : try PolicyEnforcer(options.policy)
        try enforcer?.attach(to: live.cgroup)
        // The reader yields the CPUs to the traced programs while the ring has room.
        var tracer = try Tracer(processes: live.workload?.processes, yieldingReader: true)
        try tracer.attach(to: live.cgroup)

        let text = !options.json && !options.openMetrics
        var run = TraceRun(options: options, terminal: terminal, cgroups: CgroupPaths(mountPoint: live.hierarchy.mountPoint),
                           commWidth: text ? TraceRenderer.commWidth(fitting: live.tracedCgroups()) : TraceRenderer.commandNameWidth)
        // Taken once the hooks are attached, so a socket is either in it or its calls reach the
        // hooks; a command's cgroup is new and holds none.
        let existing = options.target.command == nil ? live.existingSockets(terminal) : (sockets: [], readNs: nil)
        // The command starts before the header so a command that cannot start leaves stdout empty;
        // its events wait in the ring buffer until the loop reads them.
        try live.startCommand(stdoutToStderr: options.json || (options.openMetrics && options.output == nil))
        if !options.json && !options.openMetrics, let header = live.workloadHeader {
            terminal.out(PrintableText.of(header) + "\n")
        }
        run.show(existing: existing.sockets, readNs: existing.readNs)
        if !options.json && !options.openMetrics {
            // Which NAT64 prefixes the CLASS column knows, when more than the built-in ones.
            if !run.session.nat64.isBuiltIn { terminal.out(run.session.nat64.headerLine + "\n") }
            terminal.out(run.renderer.header)
        }
        let end = try run.loop(live, &tracer, enforcer)
        if let error = run.writeError {
            throw SockdiagError.system(call: "write", errno: error, context: "standard output")
        }
        // The reader went away (`| head`): nothing more to say, as any filter would.
        if run.outputClosed { return run.session.summary.sawSurprise ? .problemFound : .ok }

        run.showRaces(endOfTrace: true)
        for total in enforcer?.blockedTotals() ?? [] { run.show(total) }
        tracer.forEachEgressTotal { run.show(egress: $0) }
        run.flush()
        var counters = tracer.counters()
        counters.lostEvents += enforcer?.lostEvents() ?? 0
        run.session.setCounters(counters)
        tracer.detach()
        enforcer.take()?.detach()
        let result = live.command?.result
        if options.openMetrics {
            let target: (name: String, value: String)
            switch options.target {
            case let .cgroup(path): target = ("cgroup", path)
            case let .command(arguments): target = ("command", String(arguments[0].split(separator: "/").last ?? ""))
            case let .processes(pids): target = ("pid", pids.map(String.init).joined(separator: ","))
            case let .unit(name): target = ("unit", name)
            case let .container(reference): target = ("container", reference.text)
            }
            let metrics = TraceMetrics.render(run.session.summary, target: target, durationNs: run.elapsedNs)
            if let path = options.output { try AtomicFile.write(metrics, to: path) } else { terminal.out(metrics) }
        } else if options.json {
            terminal.out(run.session.summary.json(command: result, durationNs: run.elapsedNs).compact + "\n")
        } else {
            terminal.out("\n" + run.renderer.renderSummary(run.session.summary, command: result))
        }
        terminal.flush()
        if end == .cgroupRemoved {
            return terminal.fail("trace: \(live.removedCgroupText) was removed while it was traced; the run ends here")
        }
        if end == .processesExited, let workload = live.workload {
            terminal.err("sockdiag: trace: \(workload.description) and the children it forked have exited; the run ends here\n")
        }
        return run.session.summary.sawSurprise ? .problemFound : .ok
    }
}

/// One trace's reading loop and output.
struct TraceRun: TraceRecordHandler {
    let options: TraceOptions
    let terminal: Terminal
    let renderer: TraceRenderer
    /// Names each event's process's cgroup and workload from the cgroup id the hook reported.
    let cgroups: CgroupPaths
    var session: TraceSession
    var output = TraceOutputBuffer()
    /// stdout was closed (`| head`) or cannot be written: the trace stops, as any filter's input would.
    var outputClosed = false
    /// Why a write failed, unless the reader just went away (EPIPE): a full disk is an error.
    var writeError: Errno? = nil
    let startNs = monotonicNs()

    init(options: TraceOptions, terminal: Terminal, cgroups: CgroupPaths, commWidth: Int = TraceRenderer.commandNameWidth) {
        self.options = options
        self.terminal = terminal
        self.cgroups = cgroups
        renderer = TraceRenderer(utcOffsetSeconds: WallClock.utcOffsetSeconds, style: terminal.style, commWidth: commWidth)
        session = TraceSession(nat64: options.nat64.resolvePrefixes())
    }

    var elapsedNs: UInt64 { monotonicNs() - startNs }

    mutating func show(_ event: TraceEvent) {
        switch event {
        case let .socketCall(call): show(call: call)
        case let .egress(egress): show(egress: egress)
        case let .outcome(outcome): show(outcome: outcome)
        }
    }

    // One function per kind of record, each changing its record in place: copying a record costs
    // more than showing it, and the reader pays it for every connect the traced programs make.

    mutating func handle(call: consuming TraceSocketCall) { show(call: call) }
    mutating func handle(egress: consuming TraceEgress) { show(egress: egress) }
    mutating func handle(outcome: consuming TraceOutcome) { show(outcome: outcome) }

    mutating func show(call: consuming TraceSocketCall) {
        if let count = options.count, session.summary.events >= count { return }
        call.context.cgroup = cgroups.cgroup(id: call.cgroupID)
        let lesson = session.process(call: &call)
        if options.openMetrics { return }
        write({ call.appendJSONLine(lesson: lesson, to: &$0) }, or: .socketCall(call), lesson: lesson)
        flushIfFull()
    }

    mutating func show(egress: consuming TraceEgress) {
        // The holder the kernel saw send on the socket: its cgroup names its workload.
        if let id = egress.holderCgroupID { egress.cgroup = cgroups.cgroup(id: id) }
        let lesson = session.process(egress: &egress)
        if options.openMetrics { return }
        write({ egress.appendJSONLine(lesson: lesson, to: &$0) }, or: .egress(egress), lesson: lesson)
        flushIfFull()
    }

    mutating func show(outcome: consuming TraceOutcome) {
        if outcome.kind == .failed {
            // A TCP socket released without a SYN: a failed connect only if the trace saw its connect.
            guard let connect = session.connect(of: outcome.cookie) else { return }
            outcome.error = RouteNetlink.lookupError(to: connect.peer.address, inNamespaceOf: connect.pid)
        }
        let lesson = session.process(outcome: &outcome)
        if options.openMetrics { return }
        write({ outcome.appendJSONLine(lesson: lesson, to: &$0) }, or: .outcome(outcome), lesson: lesson)
        showRaces(endOfTrace: false)
        flushIfFull()
    }

    /// A record's JSON line, or its text line (built only for text output).
    private mutating func write(_ jsonLine: (inout TraceOutputBuffer) -> Void, or event: @autoclosure () -> TraceEvent, lesson: TraceLesson?) {
        if options.json {
            jsonLine(&output)
        } else if let line = renderer.render(event(), lesson: lesson) {
            output.append(line)
        }
    }

    private mutating func flushIfFull() {
        if output.count >= 1 << 16 { flush() }
    }

    /// The sockets held before the run: one `socket` event each, before any other event; in text,
    /// a block of their own above the events' header.
    mutating func show(existing sockets: [TraceExistingSocket], readNs: UInt64?) {
        session.setExisting(count: sockets.count, readNs: readNs)
        let sockets = sockets.map { socket in
            var socket = socket
            socket.cgroup = cgroups.cgroup(id: socket.cgroupID)
            return socket
        }
        for socket in sockets { session.record(existing: socket) }
        if options.openMetrics || sockets.isEmpty { return }
        if options.json {
            for socket in sockets { output.append(socket.json.compact + "\n") }
            flush()
        } else {
            terminal.out(renderer.render(existing: sockets))
        }
    }

    /// Races settled by the last outcome (or, at the end, still open): a refused family's fallback
    /// is followed to the process that took it, as bind-check would find it.
    mutating func showRaces(endOfTrace: Bool) {
        for var race in session.takeSettledRaces(endOfTrace: endOfTrace) {
            if let winner = race.winner, race.losers.contains(where: { $0.outcome?.kind == .refused }) {
                let found = TraceListener.lookUp(winner.remote)
                race.winnerListener = found?.reached
                race.portListeners = found?.onPort
            }
            let lessons = session.record(race)
            if options.openMetrics {
                continue
            } else if options.json {
                output.append(race.json(lessons: lessons).compact + "\n")
            } else {
                output.append(renderer.render(race, lessons: lessons))
            }
        }
    }

    mutating func show(_ event: TracePolicyEvent) {
        var named = event
        if case var .redirect(redirect) = event {
            redirect.context.cgroup = cgroups.cgroup(id: redirect.cgroupID)
            named = .redirect(redirect)
        }
        let event = session.process(named)
        let rule = options.policy.blockRule
        if options.openMetrics {
            return
        } else if options.json {
            output.append(event.json(blockRule: rule).compact + "\n")
        } else if let line = event.render(renderer, blockRule: rule) {
            output.append(line)
        }
    }

    /// Output leaves in writes of up to 64 KiB straight to the descriptor: one system call per many
    /// events, and no second copy through stdio.
    mutating func flush() {
        guard !output.isEmpty else { return }
        terminal.flush()
        do {
            try output.withUnsafeBytes { try StandardStreams.writeOutputUnbuffered($0) }
        } catch {
            outputClosed = true
            if let error = error as? Errno, error != .brokenPipe, writeError == nil { writeError = error }
        }
        output.removeAll()
    }

    /// Reads events until a stop condition: the command exited, --duration, --count, stdout
    /// closed, or a signal.
    mutating func loop(_ live: LiveRun, _ tracer: inout Tracer, _ enforcer: borrowing PolicyEnforcer?) throws -> LiveRunEnd {
        let end = try live.loop(for: options.duration) { exited in
            try read(&tracer, enforcer, timeoutMilliseconds: exited ? 0 : 50)
            flush()
            if outputClosed { return .stopped(because: "closed output") }
            if let count = options.count, session.summary.events >= count { return .stopped(because: "--count \(count)") }
            if tracer.tracedProcessesExited { return .processesExited }
            return nil
        }
        // The last records written before the stop, and while the command was being stopped: all
        // of them, however many polls they take, but none written after.
        let written = tracer.writtenPosition
        while !tracer.hasRead(through: written), try read(&tracer, enforcer, timeoutMilliseconds: 0) > 0 {
            flush()
        }
        flush()
        return end
    }

    /// One batch from the tracer, merged in time order with the policy's redirects and blocks;
    /// returns how many of the tracer's records it read.
    @discardableResult
    mutating func read(_ tracer: inout Tracer, _ enforcer: borrowing PolicyEnforcer?, timeoutMilliseconds: Int32) throws -> Int {
        switch enforcer {
        case .none:
            return try tracer.poll(timeoutMilliseconds: timeoutMilliseconds, into: &self)
        case let .some(enforcer):
            return try read(&tracer, merging: enforcer, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    private mutating func read(_ tracer: inout Tracer, merging enforcer: borrowing PolicyEnforcer, timeoutMilliseconds: Int32) throws -> Int {
        var batch: [(time: UInt64, show: (inout TraceRun) -> Void)] = []
        let records = try tracer.poll(timeoutMilliseconds: timeoutMilliseconds) { event in
            batch.append((event.timeNs, { $0.show(event) }))
        }
        try enforcer.poll(timeoutMilliseconds: 0) { event in
            let time: UInt64
            switch event {
            case let .redirect(redirect): time = redirect.timeNs
            case let .blocked(blocked): time = blocked.timeNs
            }
            batch.append((time, { $0.show(event) }))
        }
        for entry in batch.sorted(by: { $0.time < $1.time }) { entry.show(&self) }
        return records
    }
}
