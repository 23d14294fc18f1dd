/// Every subcommand, in the order `sockdiag --help` lists them.
public enum CommandCatalog {
    public static let version = "0.1.0"

    public static let subcommands: [CommandSpec] = [DemoCommand.spec, BindCheckCommand.spec, ConnectCheckCommand.spec, TraceCommand.spec, CompareWireCommand.spec,
                                                    CompletionCommand.spec]

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
