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
        terminal.out(json ? report.json.pretty + "\n" : report.text(style: terminal.style))
        return report.exitStatus
    }
    let report = BindCheckReport.analyze(try BindCheckProbe.observe(query, netns: netns, inventory: inventory))
    terminal.out(json ? report.json.pretty + "\n" : report.text(style: terminal.style))
    return report.exitStatus
}

/// Owners and socket options from the BPF iterators, looked up by inode afterwards.
func inventory() -> BindCheckInventory? {
    guard let found = SockoptIterator.inventory() else { return nil }
    return BindCheckInventory(owners: found.owners(of:), options: found.options(of:))
}
