#if canImport(Glibc)
import Glibc
#endif
import SockdiagBPF
import SockdiagCore
import SockdiagSystem

func runTrace(_ arguments: ParsedArguments, _ terminal: Terminal) throws -> ExitStatus {
    let options = try TraceOptions(arguments)
    if let missing = CgroupBPFCapabilities.missing() {
        throw SockdiagError.missingPrivilege("needs root: attaching eBPF programs to a cgroup requires \(missing); run it with sudo")
    }
    TerminationSignals.install()
    let hierarchy = try CgroupHierarchy.locate()
    defer { hierarchy.release() }

    let cgroup: CgroupDirectory
    var transient: TransientCgroup? = nil
    defer { transient?.remove() }
    switch options.target {
    case let .cgroup(path):
        cgroup = try CgroupDirectory.open(hierarchy.resolve(path))
    case let .command(command):
        _ = try SpawnedCommand.resolveExecutable(command[0])
        let made = try TransientCgroup.create(named: "sockdiag-trace-\(getpid())", under: hierarchy.mountPoint)
        transient = made
        cgroup = made.directory
    }

    let tracer = try Tracer()
    defer { tracer.detach() }
    try tracer.attach(to: cgroup)

    var run = TraceRun(options: options, terminal: terminal)
    if !options.json { terminal.out(run.renderer.header) }
    var command: SpawnedCommand? = nil
    if case let .command(arguments) = options.target, let transient {
        command = try SpawnedCommand.start(arguments, in: transient, stdoutToStderr: options.json)
    }
    try run.loop(tracer, command: command)

    for total in tracer.egressTotals() { run.show(.egress(total)) }
    run.flush()
    run.session.setCounters(tracer.counters())
    tracer.detach()
    let result = command?.result
    if options.json {
        terminal.out(run.session.summary.json(command: result, durationNs: run.elapsedNs).compact + "\n")
    } else {
        terminal.out("\n" + run.renderer.renderSummary(run.session.summary, command: result))
    }
    terminal.flush()
    return run.session.summary.sawSurprise ? .problemFound : .ok
}

/// One trace's reading loop and output.
struct TraceRun {
    let options: TraceOptions
    let terminal: Terminal
    let renderer: TraceRenderer
    var session = TraceSession()
    var output = TraceOutputBuffer()
    let startNs = monotonicNs()

    init(options: TraceOptions, terminal: Terminal) {
        self.options = options
        self.terminal = terminal
        var now = time(nil)
        var local = tm()
        localtime_r(&now, &local)
        renderer = TraceRenderer(utcOffsetSeconds: local.tm_gmtoff, style: terminal.style)
    }

    var elapsedNs: UInt64 { monotonicNs() - startNs }

    mutating func show(_ event: TraceEvent) {
        if case .socketCall = event, let count = options.count, session.summary.events >= count { return }
        let (event, lesson) = session.process(event)
        if options.json {
            event.appendJSONLine(lesson: lesson, to: &output)
        } else if let line = renderer.render(event, lesson: lesson) {
            output.append(line)
        }
    }

    /// One write per batch of events keeps the reader's cost per event small.
    mutating func flush() {
        guard !output.isEmpty else { return }
        output.bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
        output.removeAll()
        terminal.flush()
    }

    /// Reads events until a stop condition: the command exited, --duration, --count, or a signal.
    mutating func loop(_ tracer: Tracer, command: SpawnedCommand?) throws {
        let deadline = options.duration.map { startNs + UInt64($0 * 1e9) }
        var signalledAt: UInt64? = nil
        while true {
            let exited = command?.poll() ?? false
            try tracer.poll(timeoutMilliseconds: exited ? 0 : 50) { show($0) }
            flush()
            if exited { break }
            if let count = options.count, session.summary.events >= count { break }
            if let deadline, monotonicNs() >= deadline { break }
            if let signal = TerminationSignals.received {
                guard let command else { break }
                // The command gets the same request to stop, and a moment to do it.
                if signalledAt == nil {
                    signalledAt = monotonicNs()
                    command.signal(signal)
                } else if let since = signalledAt, monotonicNs() - since > 2_000_000_000 {
                    break
                }
            }
        }
        // The last records written before the stop.
        try tracer.poll(timeoutMilliseconds: 0) { show($0) }
        flush()
    }
}

func monotonicNs() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
