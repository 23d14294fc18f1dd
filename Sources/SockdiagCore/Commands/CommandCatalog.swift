/// The one list of subcommands, in the order `sockdiag --help` lists them, hidden entry points
/// last. Adding a case here makes the compiler ask for its table, its typed options and the
/// executable's call.
public enum Subcommand: String, CaseIterable, Sendable {
    case demo
    case bindCheck = "bind-check"
    case connectCheck = "connect-check"
    case trace
    case compareWire = "compare-wire"
    case completion
    case demoHolder = "__demo-holder"
    case demoClient = "__demo-client"

    public var spec: CommandSpec {
        switch self {
        case .demo: return DemoCommand.spec
        case .bindCheck: return BindCheckCommand.spec
        case .connectCheck: return ConnectCheckCommand.spec
        case .trace: return TraceCommand.spec
        case .compareWire: return CompareWireCommand.spec
        case .completion: return CompletionCommand.spec
        case .demoHolder: return DemoCommand.holderSpec
        case .demoClient: return DemoCommand.clientSpec
        }
    }

    /// The arguments after the subcommand's name, read through its table and checked into its
    /// typed options: everything about a command line that can be wrong without looking at the
    /// system is refused here.
    public func invocation(_ arguments: [String]) throws -> Invocation {
        let parsed = try ArgumentParser.parse(arguments, for: spec)
        if parsed.wantsHelp { return .help(spec) }
        switch self {
        case .demo: return .demo(DemoOptions(parsed))
        case .bindCheck: return .bindCheck(try BindCheckOptions(parsed))
        case .connectCheck: return .connectCheck(try ConnectCheckOptions(parsed))
        case .trace: return .trace(try TraceOptions(parsed))
        case .compareWire: return .compareWire(try CompareWireOptions(parsed))
        case .completion: return .completion(try CompletionOptions(parsed))
        case .demoHolder: return .demoHolder
        // The demo passes a port it bound; anything else makes the client fail quietly.
        case .demoClient: return .demoClient(port: parsed.positionals.first.flatMap { try? Port(parsing: $0) })
        }
    }
}

/// A checked command line: what the executable runs.
public enum Invocation: Sendable {
    case help(CommandSpec)
    case demo(DemoOptions)
    case bindCheck(BindCheckOptions)
    case connectCheck(ConnectCheckOptions)
    case trace(TraceOptions)
    case compareWire(CompareWireOptions)
    case completion(CompletionOptions)
    case demoHolder
    case demoClient(port: Port?)
}

/// The subcommands' tables, and the top-level help.
public enum CommandCatalog {
    public static let version = "0.1.0"

    /// The subcommands help, the man page and completion show.
    public static let subcommands: [CommandSpec] = Subcommand.allCases.map(\.spec).filter { !$0.hidden }

    public static func spec(named name: String) -> CommandSpec? { subcommands.first { $0.name == name } }

    public static var topLevelHelp: String {
        var lines = [
            "sockdiag \(version): diagnose dual-stack (IPv4/IPv6) socket problems on Linux.",
            "",
            "Usage: sockdiag <subcommand> [options] [arguments] [-- CMD [ARGS...]]",
            "       sockdiag help <subcommand>",
            "",
            "Subcommands:",
        ]
        let width = subcommands.map(\.name.count).max() ?? 0
        for spec in subcommands {
            lines.append("  " + spec.name.padding(to: width + 2) + spec.abstract)
        }
        lines.append("  " + "help".padding(to: width + 2) + "Show the help of a subcommand.")
        lines += [
            "",
            "Options:",
            "  -h, --help     Show this help and exit.",
            "      --version  Print the version, the BPF objects' build id and the libbpf and libpcap versions.",
            "",
            "Run 'sockdiag <subcommand> --help' for its options and examples.",
            TextWrap.wrap(ExitStatus.legend, width: 80),
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}
