import SockdiagCore
import SockdiagSystem

/// `sockdiag connect-check`: what a client of HOST PORT really reaches, address by address.
public enum ConnectCheck {
    public static func run(_ options: ConnectCheckOptions, _ terminal: Terminal) throws -> ExitStatus {
        // Everything is parsed before entering a namespace, so bad input fails the same way everywhere.
        if let netns = options.netns { try BindCheckNamespace.enter(netns) }
        let observation = try ConnectCheckProbe.observe(options.query, netns: options.netns, probe: options.probe,
                                                        inventory: { inventory(port: options.query.port.value, transport: options.query.transport) })
        let report = ConnectCheckReport.analyze(observation)
        terminal.out(options.json ? report.json.pretty + "\n" : report.text(style: terminal.style))
        return report.exitStatus
    }
}
