public enum BindCheckCommand {
    public static let tcp = OptionSpec("tcp", short: "t", help: "Check a TCP bind (the default).")
    public static let udp = OptionSpec("udp", short: "u", help: "Check a UDP bind.")
    public static let json = OptionSpec("json", short: "j", help: "Print one JSON document instead of text.")
    public static let all = OptionSpec("all", short: "a", help: "Check every listening port on the host at once.")
    public static let allNetns = OptionSpec("all-netns", help: "With --all: walk every network namespace that has a process or an 'ip netns' name, and report each.")
    public static let openMetrics = OptionSpec("openmetrics", help: "With --all: print OpenMetrics text for Prometheus (listeners, split ports, findings) instead of the table.")
    public static let output = OptionSpec("output", short: "o", .value(placeholder: "FILE"),
                                          help: "With --openmetrics: write to FILE atomically (a temporary file in its directory, then rename), as node_exporter's textfile collector needs.")
    public static let netns = OptionSpec("netns", .value(placeholder: "NAME|PATH"),
                                         help: "Look inside another network namespace (a name from 'ip netns', or a path such as /proc/PID/ns/net).")

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
