public enum BindCheckCommand {
    public static let tcp = OptionSpec("tcp", short: "t", help: "Check a TCP bind (the default).")
    public static let udp = OptionSpec("udp", short: "u", help: "Check a UDP bind.")
    public static let json = OptionSpec("json", short: "j", help: "Print one JSON document instead of text.")
    public static let all = OptionSpec("all", short: "a", help: "Check every listening port on the host at once.")
    public static let allNetns = OptionSpec("all-netns", help: "With --all: walk every network namespace that has a process or an 'ip netns' name, and report each.")
    public static let openMetrics = OptionSpec("openmetrics", help: "With --all: print OpenMetrics text for Prometheus (listeners, split ports, findings) instead of the table.")
    public static let output = OptionSpec("output", short: "o", .value(placeholder: "FILE", .file),
                                          help: "With --openmetrics: write to FILE atomically (a temporary file in its directory, then rename), as node_exporter's textfile collector needs.")
    public static let netns = OptionSpec("netns", .value(placeholder: "NAME|PATH", .netns),
                                         help: "Look inside another network namespace (a name from 'ip netns', or a path such as /proc/PID/ns/net).")

    public static let tcpOrUdp = OptionExclusion(tcp, udp, message: "--tcp and --udp exclude each other; run once for each")
    public static let allNetnsOrNetns = OptionExclusion(allNetns, netns, message: "--all-netns walks every namespace; drop --netns")
    public static let jsonOrOpenMetrics = OptionExclusion(json, openMetrics, message: "--json and --openmetrics exclude each other")

    public static let spec = CommandSpec(
        name: "bind-check",
        abstract: "Explain what binding ADDRESS PORT does and who gets the clients.",
        summary: "Explain what binding ADDRESS PORT would do: the sysctls that decide it, every socket already on the port with its owning process, real trial binds, and which socket each kind of client would reach.",
        usage: ["[options] ADDRESS PORT", "[options] ADDRESS:PORT", "--all [--all-netns] [options]"],
        positionals: [
            PositionalSpec("ADDRESS", help: "IPv4 or IPv6 address to bind (:: and 0.0.0.0 are the wildcards), in brackets or not, or ADDRESS:PORT / [IPV6]:PORT in one argument."),
            PositionalSpec("PORT", optional: true, help: "Port 0-65535; 0 means an ephemeral port chosen by the kernel."),
        ],
        options: [tcp, udp, json, all, allNetns, netns, openMetrics, output],
        exclusions: [tcpOrUdp, allNetnsOrNetns, jsonOrOpenMetrics],
        examples: [
            CommandExample("sockdiag bind-check :: 45000", "What a dual-stack listener on [::]:45000 would get, and who holds the port now."),
            CommandExample("sockdiag bind-check '[::]:45000' --udp --json", "The same for UDP, as JSON."),
            CommandExample("sockdiag bind-check --all", "Every listening port whose IPv4 and IPv6 clients reach different processes."),
            CommandExample("sockdiag bind-check --all --all-netns", "The same in every network namespace (containers included)."),
            CommandExample("sockdiag bind-check --all --all-netns --openmetrics -o /var/lib/prometheus/node-exporter/sockdiag.prom",
                           "Metrics of every namespace for node_exporter's textfile collector (see docs/fleet.md)."),
        ]
    )
}

/// `sockdiag bind-check`'s command line, typed.
public struct BindCheckOptions: Hashable, Sendable {
    public enum Scope: Hashable, Sendable {
        /// ADDRESS PORT.
        case one(BindCheckQuery)
        /// --all: every listening port of one namespace (--netns, or this one).
        case allPorts
        /// --all --all-netns: every listening port of every namespace.
        case allNamespaces
    }

    public let scope: Scope
    public let transport: TransportProtocol
    public let json: Bool
    /// --netns NAME|PATH; entered only once the whole command line is known to be good.
    public let netns: String?
    /// --openmetrics (with --all): metrics instead of the table.
    public let openMetrics: Bool
    /// --output FILE for the metrics.
    public let output: String?

    public init(_ arguments: ParsedArguments) throws {
        typealias C = BindCheckCommand
        try arguments.check(C.tcpOrUdp)
        transport = arguments.isSet(C.udp) ? .udp : .tcp
        json = arguments.isSet(C.json)
        netns = arguments.value(C.netns)
        let all = arguments.isSet(C.all)
        if all && !arguments.positionals.isEmpty {
            throw UsageError("--all checks every port; drop '\(arguments.positionals.joined(separator: " "))'")
        }
        openMetrics = arguments.isSet(C.openMetrics)
        output = arguments.value(C.output)
        if openMetrics {
            guard all else { throw UsageError("--openmetrics goes with --all") }
            try arguments.check(C.jsonOrOpenMetrics)
        }
        if output != nil && !openMetrics { throw UsageError("--output goes with --openmetrics") }
        if arguments.isSet(C.allNetns) {
            guard all else { throw UsageError("--all-netns goes with --all") }
            try arguments.check(C.allNetnsOrNetns)
            scope = .allNamespaces
        } else if all {
            scope = .allPorts
        } else {
            scope = .one(try BindCheckQuery(positionals: arguments.positionals, transport: transport))
        }
    }
}
