import SockdiagCore
import SockdiagSystem
import SockdiagBPF

/// `sockdiag bind-check`: what binding an address and port does, and who gets the clients.
public enum BindCheck {
    public static func run(_ options: BindCheckOptions, _ terminal: Terminal) throws -> ExitStatus {
        let transport = options.transport
        if let output = options.output { try AtomicFile.checkWritable(output) }
        /// Metrics to stdout, or to --output FILE in one atomic step.
        func emitMetrics(_ namespaces: [BindCheckMetrics.Namespace]) throws {
            let text = BindCheckMetrics.render(namespaces) { pid in
                SystemFile.readString("/proc/\(pid)/cgroup").map(ProcessPlacement.init(procCgroup:))
            }
            if let output = options.output { try AtomicFile.write(text, to: output) } else { terminal.out(text) }
        }
        if case .allNamespaces = options.scope {
            let namespaces = try allNamespaces(transport)
            let report = BindCheckNamespacesReport(reports: namespaces.map(\.report))
            if options.openMetrics {
                try emitMetrics(namespaces)
            } else {
                terminal.out(options.json ? report.json.pretty + "\n" : report.text(style: terminal.style))
            }
            return report.exitStatus
        }
        if let netns = options.netns { try BindCheckNamespace.enter(netns) }
        guard case let .one(query) = options.scope else {
            let owners = BackgroundWork { inventory(port: nil, transport: transport) }
            let system = BindCheckSystemReader.read()
            var (listeners, source) = try BindCheckProbe.sockets(transport, filter: .any, listeningOnly: true)
            BindCheckProbe.attachOwners(&listeners, table: owners.wait())
            let report = BindCheckAllReport.analyze(listeners: listeners, transport: transport, system: system,
                                                    source: source, netns: options.netns)
            if options.openMetrics {
                try emitMetrics([BindCheckMetrics.Namespace(label: options.netns ?? BindCheckNamespace.currentLabel(), report: report)])
            } else {
                terminal.out(options.json ? report.json.pretty + "\n" : report.text(style: terminal.style))
            }
            return report.exitStatus
        }
        var observation = try BindCheckProbe.observe(query, netns: options.netns, inventory: { inventory(port: query.port.value, transport: query.transport) })
        observation.socketLookupPrograms = SockoptIterator.socketLookupPrograms()
        let report = BindCheckReport.analyze(observation)
        terminal.out(options.json ? report.json.pretty + "\n" : report.text(style: terminal.style))
        return report.exitStatus
    }
}

/// Every namespace in turn: setns into it, dump its listeners, analyse. The owner inventory
/// covers every process on the host, so it is taken once.
private func allNamespaces(_ transport: TransportProtocol) throws -> [BindCheckMetrics.Namespace] {
    guard Privileges.isRoot else { throw SockdiagError.missingPrivilege("--all-netns needs root (setns into every namespace)") }
    let owners = BackgroundWork(inventory).wait()
    var reports: [BindCheckMetrics.Namespace] = []
    for namespace in BindCheckNamespaceWalk.list() {
        // A namespace whose last process exited meanwhile is simply gone.
        guard (try? BindCheckNamespace.enter(namespace.path)) != nil else { continue }
        let system = BindCheckSystemReader.read()
        var (listeners, source) = try BindCheckProbe.sockets(transport, filter: .any, listeningOnly: true)
        // The owners were read once for every namespace; UDP's lookup chains are this namespace's own.
        BindCheckProbe.attachOwners(&listeners, table: transport == .udp ? owners?.with(udpLookupChains: UDPLookupChains.positions()) : owners)
        let report = BindCheckAllReport.analyze(listeners: listeners, transport: transport, system: system,
                                                source: source, netns: namespace.label)
        reports.append(BindCheckMetrics.Namespace(label: namespace.metricsLabel, report: report))
    }
    return reports
}

/// Owners and socket options of every socket from the BPF iterators, looked up by inode
/// afterwards; no lookup chains (they are per network namespace).
func inventory() -> BindCheckInventory? { inventory(port: nil, transport: .tcp) }

/// The same, reporting only the sockets on `port` (nil or 0: every socket), with the UDP lookup
/// chains' order for UDP.
func inventory(port: UInt16?, transport: TransportProtocol) -> BindCheckInventory? {
    BindCheckInventory.read(port: port, transport: transport)
}
