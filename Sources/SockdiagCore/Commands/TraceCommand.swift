public enum TraceCommand {
    public static let cgroup = OptionSpec("cgroup", short: "c", .value(placeholder: "PATH", .cgroup),
                                          help: "Trace the processes of this cgroup v2 directory (absolute, or relative to the cgroup2 mount).")
    public static let json = OptionSpec("json", short: "j", help: "Print JSON Lines, one event per line.")
    public static let duration = OptionSpec("duration", short: "d", .value(placeholder: "SECONDS"), help: "Stop after this many seconds.")
    public static let count = OptionSpec("count", short: "n", .value(placeholder: "N"), help: "Stop after N connect/sendmsg/bind events.")
    public static let redirect = OptionSpec("redirect", .value(placeholder: "PORT=ADDR:PORT"), repeatable: true,
                                            help: "Send connects and unconnected sends to PORT (TCP and UDP) to ADDR:PORT instead, IPv4-mapped destinations included; replies keep the original source. An IPv4 target serves IPv4 and mapped destinations, an [IPv6] target native IPv6 ones. Repeatable.")
    public static let blockIPv6 = OptionSpec("block-ipv6", help: "Drop packets that are IPv6 on the wire (skb->protocol), letting IPv4 from AF_INET6 sockets through.")
    public static let naive = OptionSpec("naive", help: "Enforce --redirect and --block-ipv6 the naive way (connect4 only, skb->family), to see where it fails.")
    public static let openMetrics = OptionSpec("openmetrics", help: "Print OpenMetrics text for Prometheus when the trace ends (events by hook and address class, family mismatches, lost events) instead of the events.")
    public static let output = OptionSpec("output", short: "o", .value(placeholder: "FILE", .file),
                                          help: "With --openmetrics: write to FILE atomically (a temporary file in its directory, then rename), as node_exporter's textfile collector needs.")
    public static let force = OptionSpec("force", help: "Allow --redirect/--block-ipv6 on the root cgroup (every process on the host).")

    public static let jsonOrOpenMetrics = OptionExclusion(json, openMetrics, message: "--json and --openmetrics exclude each other")

    public static let spec = CommandSpec(
        name: "trace",
        abstract: "Show connects, sends and binds as the kernel saw them (eBPF).",
        summary: "Attach eBPF programs to a cgroup and show every connect, unconnected send and bind as the kernel saw it (socket family, address class such as ipv4-mapped), and for each socket the family of its packets on egress.",
        usage: ["(--cgroup PATH | --pid PID... | --unit NAME | --container ID) [options]", "[options] -- CMD [ARGS...]"],
        discussion: "With -- CMD, sockdiag creates a transient cgroup, runs CMD inside it from its first instruction, traces until CMD exits, then removes the cgroup. --pid attaches at the cgroup the process lives in and keeps only its events (and its later children's) in the kernel; a run whose unit, container or cgroup goes away ends with a line saying so. Nothing stays attached after sockdiag exits.",
        options: [cgroup, LiveTarget.pid, LiveTarget.unit, LiveTarget.container, json, duration, count, redirect, blockIPv6, naive, force, NAT64Option.spec, openMetrics, output],
        exclusions: [jsonOrOpenMetrics],
        trailingCommand: "CMD [ARGS...]",
        examples: [
            CommandExample("sockdiag trace -- curl -s http://127.0.0.1:8080/", "Trace one command from start to exit."),
            CommandExample("sockdiag trace --cgroup system.slice/docker-1234.scope --duration 30 --json", "Thirty seconds of a container's connects as JSON Lines."),
            CommandExample("sockdiag trace --pid 4242 --json", "One running process and the children it forks from now on, nothing else of its cgroup."),
            CommandExample("sockdiag trace --unit nginx --duration 60 --openmetrics -o /var/lib/prometheus/node-exporter/sockdiag-trace.prom",
                           "A minute of a service's connects as metrics for node_exporter's textfile collector (see docs/fleet.md)."),
            CommandExample("sockdiag trace --redirect 53=127.0.0.1:5353 --block-ipv6 -- dotnet restore", "Send a command's DNS to a local proxy and block IPv6, dual-mode sockets included."),
        ]
    )
}

/// `sockdiag trace`'s command line, typed.
public struct TraceOptions: Equatable, Sendable {
    public let target: LiveTarget
    public let json: Bool
    /// --openmetrics: counted, not shown; the metrics are printed (or written) at the end.
    public let openMetrics: Bool
    /// --output FILE for the metrics.
    public let output: String?
    /// Seconds; nil traces until stopped (or until the command exits).
    public let duration: Double?
    /// Connect/sendmsg/bind events after which to stop.
    public let count: Int?
    /// --redirect, --block-ipv6, --naive.
    public let policy: TracePolicy
    /// --force: a policy may apply to the root cgroup.
    public let force: Bool
    /// --nat64-prefix.
    public let nat64: NAT64Option.Request

    public init(target: LiveTarget, json: Bool = false, openMetrics: Bool = false, output: String? = nil,
                duration: Double? = nil, count: Int? = nil, policy: TracePolicy = try! TracePolicy(), force: Bool = false,
                nat64: NAT64Option.Request = NAT64Option.Request()) {
        self.target = target
        self.json = json
        self.openMetrics = openMetrics
        self.output = output
        self.duration = duration
        self.count = count
        self.policy = policy
        self.force = force
        self.nat64 = nat64
    }

    public init(_ arguments: ParsedArguments) throws(UsageError) {
        target = try LiveTarget(arguments, cgroup: TraceCommand.cgroup,
                                nothing: "nothing to trace: give --cgroup PATH, --pid PID, --unit NAME, --container ID or -- CMD [ARGS...]")
        json = arguments.isSet(TraceCommand.json)
        openMetrics = arguments.isSet(TraceCommand.openMetrics)
        output = arguments.value(TraceCommand.output)
        try arguments.check(TraceCommand.jsonOrOpenMetrics)
        if output != nil && !openMetrics { throw UsageError("--output goes with --openmetrics") }
        if output?.isEmpty == true { throw UsageError("--output needs a file name") }
        duration = try OptionValue.positiveSeconds(arguments, TraceCommand.duration)
        count = try OptionValue.positiveWholeNumber(arguments, TraceCommand.count)
        var rules: [TraceRedirectRule] = []
        for text in arguments.values(TraceCommand.redirect) { rules.append(try TraceRedirectRule(parsing: text)) }
        policy = try TracePolicy(redirects: rules, blockIPv6: arguments.isSet(TraceCommand.blockIPv6),
                                 naive: arguments.isSet(TraceCommand.naive))
        force = arguments.isSet(TraceCommand.force)
        nat64 = try NAT64Option.Request(arguments)
        if force && policy.isEmpty { throw UsageError("--force only matters with --redirect or --block-ipv6") }
    }
}
