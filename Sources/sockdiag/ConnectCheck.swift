import SockdiagCore
import SockdiagSystem

func runConnectCheck(_ arguments: ParsedArguments, _ terminal: Terminal) throws -> ExitStatus {
    // Parse everything before entering a namespace, so bad input fails the same way everywhere.
    let options = try ConnectCheckOptions(arguments)
    if let netns = options.netns { try BindCheckNamespace.enter(netns) }
    let observation = try ConnectCheckProbe.observe(options.query, netns: options.netns, probe: options.probe,
                                                    inventory: { inventory(port: options.query.port.value) })
    let report = ConnectCheckReport.analyze(observation)
    terminal.out(options.json ? report.json.pretty + "\n" : report.text(style: terminal.style))
    return report.exitStatus
}
