import SockdiagCore
import SockdiagSystem

func runConnectCheck(_ options: ConnectCheckOptions, _ terminal: Terminal) throws -> ExitStatus {
    // Everything is parsed before entering a namespace, so bad input fails the same way everywhere.
    if let netns = options.netns { try BindCheckNamespace.enter(netns) }
    let observation = try ConnectCheckProbe.observe(options.query, netns: options.netns, probe: options.probe,
                                                    inventory: { inventory(port: options.query.port.value) })
    let report = ConnectCheckReport.analyze(observation)
    terminal.out(options.json ? report.json.pretty + "\n" : report.text(style: terminal.style))
    return report.exitStatus
}
