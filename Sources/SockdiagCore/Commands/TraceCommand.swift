public enum TraceCommand {
    public static let cgroup = OptionSpec("cgroup", short: "c", .value(placeholder: "PATH"),
                                          help: "Trace the processes of this cgroup v2 directory (absolute, or relative to the cgroup2 mount).")
    public static let json = OptionSpec("json", short: "j", help: "Print JSON Lines, one event per line.")
    public static let duration = OptionSpec("duration", short: "d", .value(placeholder: "SECONDS"), help: "Stop after this many seconds.")
    public static let count = OptionSpec("count", short: "n", .value(placeholder: "N"), help: "Stop after N connect/sendmsg/bind events.")

    public static let spec = CommandSpec(
        name: "trace",
        abstract: "Show connects, sends and binds as the kernel sees them (eBPF on a cgroup).",
        summary: "Attach eBPF programs to a cgroup and show every connect, unconnected send and bind as the kernel saw it (socket family, address class such as ipv4-mapped), and for each socket the family of its packets on egress.",
        usage: ["--cgroup PATH [options]", "[options] -- CMD [ARGS...]"],
        discussion: "With -- CMD, sockdiag creates a transient cgroup, runs CMD inside it from its first instruction, traces until CMD exits, then removes the cgroup. Nothing stays attached after sockdiag exits.",
        options: [cgroup, json, duration, count],
        trailingCommand: "CMD [ARGS...]",
        examples: [
            CommandExample("sockdiag trace -- curl -s http://127.0.0.1:8080/", "Trace one command from start to exit."),
            CommandExample("sockdiag trace --cgroup system.slice/docker-1234.scope --duration 30 --json", "Thirty seconds of a container's connects as JSON Lines."),
        ]
    )
}
