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

/// `sockdiag trace`'s command line, typed.
public struct TraceOptions: Equatable, Sendable {
    public enum Target: Equatable, Sendable {
        /// An existing cgroup: absolute, or relative to the cgroup v2 mount.
        case cgroup(String)
        /// A command to start in a transient cgroup.
        case command([String])
    }

    public let target: Target
    public let json: Bool
    /// Seconds; nil traces until stopped (or until the command exits).
    public let duration: Double?
    /// Connect/sendmsg/bind events after which to stop.
    public let count: Int?

    public init(target: Target, json: Bool = false, duration: Double? = nil, count: Int? = nil) {
        self.target = target
        self.json = json
        self.duration = duration
        self.count = count
    }

    public init(_ arguments: ParsedArguments) throws(UsageError) {
        switch (arguments.value(TraceCommand.cgroup), arguments.trailingCommand) {
        case let (path?, nil):
            guard !path.isEmpty else { throw UsageError("--cgroup needs a path") }
            target = .cgroup(path)
        case let (nil, command?):
            target = .command(command)
        case (.some, .some):
            throw UsageError("give either --cgroup PATH or -- CMD, not both")
        case (nil, nil):
            throw UsageError("nothing to trace: give --cgroup PATH or -- CMD [ARGS...]")
        }
        json = arguments.isSet(TraceCommand.json)
        if let text = arguments.value(TraceCommand.duration) {
            guard let seconds = Double(text), seconds.isFinite, seconds > 0 else {
                throw UsageError("--duration must be a positive number of seconds, got '\(text)'")
            }
            duration = seconds
        } else {
            duration = nil
        }
        if let text = arguments.value(TraceCommand.count) {
            guard let number = Int(text), number > 0 else {
                throw UsageError("--count must be a positive whole number, got '\(text)'")
            }
            count = number
        } else {
            count = nil
        }
    }
}
