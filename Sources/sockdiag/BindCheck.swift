import SockdiagCore
import SockdiagSystem
import SockdiagBPF

func runBindCheck(_ arguments: ParsedArguments, _ terminal: Terminal) throws -> ExitStatus {
    if arguments.isSet(BindCheckCommand.tcp) && arguments.isSet(BindCheckCommand.udp) {
        throw SockdiagError.invalidInput("--tcp and --udp exclude each other; run once for each")
    }
    let transport: TransportProtocol = arguments.isSet(BindCheckCommand.udp) ? .udp : .tcp
    let all = arguments.isSet(BindCheckCommand.all)
    if all && !arguments.positionals.isEmpty {
        throw SockdiagError.invalidInput("--all checks every port; drop '\(arguments.positionals.joined(separator: " "))'")
    }
    let openMetrics = arguments.isSet(BindCheckCommand.openMetrics)
    let output = arguments.value(BindCheckCommand.output)
    if openMetrics {
        guard all else { throw SockdiagError.invalidInput("--openmetrics goes with --all") }
        guard !arguments.isSet(BindCheckCommand.json) else { throw SockdiagError.invalidInput("--json and --openmetrics exclude each other") }
    }
    if output != nil && !openMetrics { throw SockdiagError.invalidInput("--output goes with --openmetrics") }
    if let output { try AtomicFile.checkWritable(output) }
    /// Metrics to stdout, or to --output FILE in one atomic step.
    func emitMetrics(_ namespaces: [BindCheckMetrics.Namespace]) throws {
        let text = BindCheckMetrics.render(namespaces) { pid in
            SystemFile.readString("/proc/\(pid)/cgroup").map(ProcessPlacement.init(procCgroup:))
        }
        if let output { try AtomicFile.write(text, to: output) } else { terminal.out(text) }
    }
    if arguments.isSet(BindCheckCommand.allNetns) {
        guard all else { throw SockdiagError.invalidInput("--all-netns goes with --all") }
        guard !arguments.isSet(BindCheckCommand.netns) else {
            throw SockdiagError.invalidInput("--all-netns walks every namespace; drop --netns")
        }
        let namespaces = try allNamespaces(transport)
        let report = BindCheckNamespacesReport(reports: namespaces.map(\.report))
        if openMetrics {
            try emitMetrics(namespaces)
        } else {
            terminal.out(arguments.isSet(BindCheckCommand.json) ? report.json.pretty + "\n" : report.text(style: terminal.style))
        }
        return report.exitStatus
    }
    // Parse everything before entering a namespace, so bad input fails the same way everywhere.
    let query = all ? nil : try BindCheckQuery(positionals: arguments.positionals, transport: transport)
    let netns = arguments.value(BindCheckCommand.netns)
    if let netns { try BindCheckNamespace.enter(netns) }
    let json = arguments.isSet(BindCheckCommand.json)

    guard let query else {
        let owners = BindCheckBackground(inventory)
        let system = BindCheckSystemReader.read()
        var (listeners, source) = try BindCheckProbe.sockets(transport, filter: .any, listeningOnly: true)
        BindCheckProbe.attachOwners(&listeners, table: owners.wait())
        let report = BindCheckAllReport.analyze(listeners: listeners, transport: transport, system: system,
                                                source: source, netns: netns)
        if openMetrics {
            try emitMetrics([BindCheckMetrics.Namespace(label: netns ?? BindCheckNamespace.currentLabel(), report: report)])
        } else {
            terminal.out(json ? report.json.pretty + "\n" : report.text(style: terminal.style))
        }
        return report.exitStatus
    }
    var observation = try BindCheckProbe.observe(query, netns: netns, inventory: { inventory(port: query.port.value) })
    observation.socketLookupPrograms = SockoptIterator.socketLookupPrograms()
    let report = BindCheckReport.analyze(observation)
    terminal.out(json ? report.json.pretty + "\n" : report.text(style: terminal.style))
    return report.exitStatus
}

/// Every namespace in turn: setns into it, dump its listeners, analyse. The owner inventory
/// covers every process on the host, so it is taken once.
private func allNamespaces(_ transport: TransportProtocol) throws -> [BindCheckMetrics.Namespace] {
    guard Privileges.isRoot else { throw SockdiagError.missingPrivilege("--all-netns needs root (setns into every namespace)") }
    let owners = BindCheckBackground(inventory).wait()
    var reports: [BindCheckMetrics.Namespace] = []
    for namespace in BindCheckNamespaceWalk.list() {
        // A namespace whose last process exited meanwhile is simply gone.
        guard (try? BindCheckNamespace.enter(namespace.path)) != nil else { continue }
        let system = BindCheckSystemReader.read()
        var (listeners, source) = try BindCheckProbe.sockets(transport, filter: .any, listeningOnly: true)
        BindCheckProbe.attachOwners(&listeners, table: owners)
        let report = BindCheckAllReport.analyze(listeners: listeners, transport: transport, system: system,
                                                source: source, netns: namespace.label)
        reports.append(BindCheckMetrics.Namespace(label: namespace.metricsLabel, report: report))
    }
    return reports
}

/// Owners and socket options from the BPF iterators, looked up by inode afterwards.
func inventory() -> BindCheckInventory? { inventory(port: nil) }

/// The same, reporting only the sockets on `port` (nil or 0: every socket).
func inventory(port: UInt16?) -> BindCheckInventory? {
    guard let found = SockoptIterator.inventory(port: port) else { return nil }
    return BindCheckInventory(owners: found.owners(of:), options: found.options(of:))
}
