import SockdiagBPF
import SockdiagCapture
import SockdiagCore
import SockdiagSystem

extension CompareWire {
    /// Live compare-wire: the tracer on a cgroup and a libpcap capture, read in one loop, then joined.
    static func live(_ target: LiveTarget, options: CompareWireOptions, terminal: Terminal) throws -> (WireReport, SockdiagError?) {
        let live = try LiveRun(target, transientPrefix: "sockdiag-wire") { missing in
            "needs root: tracing a cgroup requires \(missing) and capturing needs CAP_NET_RAW; run it with sudo"
        }
        defer { live.release() }
        var annotation = try AnnotatedCapture(options.writePcapng)

        // The capture starts first so the traced flows' first packets are in it. Only TCP and UDP are
        // kept: the tracer names a flow after its first packet has left, so a filter on the traced
        // flows' own ports would lose those first packets.
        // Headers are all the join reads; a short snapshot length makes the 64 MiB ring hold ~100,000
        // packets (lo's 64 KiB MTU would otherwise give a few hundred slots). --write-pcapng keeps whole
        // packets for Wireshark.
        let targetProcesses = live.workload?.processes ?? (live.target.command == nil ? CgroupTreeWalk.processes(under: live.cgroup.path) : [])
        let namespace = try CaptureNamespace.choose(netns: options.netns, targetProcesses: targetProcesses)
        // Discovery (a resolver query) before anything is attached or captured.
        let nat64 = options.nat64.resolvePrefixes()
        let openCapture = {
            try PcapPacketSource.openLive(interface: options.interface,
                                          snapLength: options.writePcapng == nil ? 512 : 65_535,
                                          filter: { $0 == .ethernet ? "tcp or udp or (vlan and (tcp or udp))" : "tcp or udp" })
        }
        let capture = try namespace?.entered(openCapture) ?? openCapture()
        // Capture copies that runs killed by SIGKILL left behind.
        RunScratch.sweep(prefix: "sockdiag-wire")
        var copy: RunScratch? = nil
        defer { copy?.remove() }
        if options.writePcapng != nil {
            copy = try RunScratch.file(prefix: "sockdiag-wire", suffix: ".pcap")
            try capture.saveCopy(to: copy!.path)
        }
        let copyPath = copy?.path
        // Detached once: below, or when it goes out of scope on a throw.
        var tracer = try Tracer(processes: live.workload?.processes)
        try tracer.attach(to: live.cgroup)
        var session = LiveWireSession(decoder: WirePacketDecoder(linkType: capture.linkType),
                                      cgroups: CgroupPaths(mountPoint: live.hierarchy.mountPoint))
        // Flows that began before the run: their sockets' holders, taken once the hooks are on.
        if target.command == nil {
            for socket in live.existingSockets(terminal).sockets {
                session.kernel.add(WireKernelEvent(socket))
                session.nameCgroup(of: socket.pid, id: socket.cgroupID)
            }
        }
        try live.startCommand(stdoutToStderr: options.json)

        let end = try live.loop(for: options.duration) { exited in
            try session.drain(&tracer, capture)
            if !exited { capture.waitForPackets(milliseconds: 20) }
            return tracer.tracedProcessesExited ? .processesExited : nil
        }
        // Packets already sent may still be on their way to the capture buffer.
        let grace = monotonicNs() + 200_000_000
        while monotonicNs() < grace {
            try session.drain(&tracer, capture)
            capture.waitForPackets(milliseconds: 20)
        }
        // Every record written before this point, however many polls that takes; none after.
        let written = tracer.writtenPosition
        while !tracer.hasRead(through: written), try session.drain(&tracer, capture) > 0 {}
        for total in tracer.egressTotals() {
            session.nameHolderCgroup(of: total)
            session.kernel.add(WireKernelEvent(.egress(total)))
        }
        let counters = tracer.counters()
        tracer.detach()
        // The kernel's view ends with the totals just read; the packets it counted by then reach the
        // capture just after its hook ran, so the wire's view is read once more: a connection made
        // after the last reading above would otherwise be in the kernel's view only.
        capture.waitForPackets(milliseconds: 20)
        try session.readCapture(capture)
        capture.closeCopy()

        let join = WireJoin.join(kernel: session.kernel, wire: session.table, nat64: nat64)
        var annotationFailure: SockdiagError? = nil
        if let copyPath, let annotation = annotation.take() {
            annotationFailure = annotation.write(capturePath: copyPath, interface: options.interface, table: session.table, join: join)
        }
        var captureSummary = WireCaptureSummary(file: nil, interface: options.interface, linkType: capture.linkType,
                                                packets: session.table.packets, dropped: capture.dropped,
                                                skipped: session.table.skipped, netns: namespace?.label)
        // Named now, in the capture's namespace, while the interfaces (a CLAT's TUN device among
        // them) still exist.
        let table = session.table
        captureSummary.interfaceNames = try namespace?.entered { InterfaceNames.of(table) } ?? InterfaceNames.of(table)
        let events = WireEventsSummary(file: nil, lines: 0, events: session.events, garbage: 0,
                                       ignored: session.kernel.ignoredEvents, lost: counters.lostEvents)
        return (WireReport(join: join, capture: captureSummary, events: events, command: live.command?.result,
                           cgroupRemoved: end == .cgroupRemoved ? live.removedCgroupText : nil,
                           processCgroups: session.processCgroups), annotationFailure)
    }
}

private struct LiveWireSession {
    let decoder: WirePacketDecoder
    var table = WireFlowTable()
    var kernel = WireKernelTable()
    var events = 0
    /// The cgroup of each process a connect, send, bind or existing socket named.
    let cgroups: CgroupPaths
    var processCgroups: [UInt32: ProcessCgroup] = [:]

    init(decoder: WirePacketDecoder, cgroups: CgroupPaths) {
        self.decoder = decoder
        self.cgroups = cgroups
    }

    /// Looked up once a process: its first event's cgroup names it.
    mutating func nameCgroup(of pid: Int32, id: UInt64) {
        let pid = UInt32(bitPattern: pid)
        guard processCgroups[pid] == nil, let cgroup = cgroups.cgroup(id: id) else { return }
        processCgroups[pid] = cgroup
    }

    /// The holder the kernel saw send on a socket (an accepted socket's worker) is named too.
    mutating func nameHolderCgroup(of egress: TraceEgress) {
        if let pid = egress.pid, let id = egress.holderCgroupID { nameCgroup(of: pid, id: id) }
    }

    /// Returns how many of the tracer's records it read.
    @discardableResult
    mutating func drain(_ tracer: inout Tracer, _ capture: PcapPacketSource) throws -> Int {
        let records = try tracer.poll(timeoutMilliseconds: 0) { event in
            events += 1
            switch event {
            case let .socketCall(call): nameCgroup(of: call.pid, id: call.cgroupID)
            case let .egress(egress): nameHolderCgroup(of: egress)
            case .outcome: break
            }
            kernel.add(WireKernelEvent(event))
        }
        try readCapture(capture)
        return records
    }

    /// Every packet the capture holds now.
    mutating func readCapture(_ capture: PcapPacketSource) throws {
        let decoder = self.decoder
        while try capture.readAvailable({ bytes, length, time in
            table.record(bytes, originalLength: length, time: time, decoder: decoder)
        }) > 0 {}
    }
}
