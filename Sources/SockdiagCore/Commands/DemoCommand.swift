public enum DemoCommand {
    public static let json = OptionSpec("json", short: "j", help: "Print both reports as one JSON document.")

    /// Internal entry points the demo starts as child processes (`/proc/self/exe NAME ...`),
    /// hidden from help, the man page and completion.
    public static let holderEntry = "__demo-holder"
    public static let clientEntry = "__demo-client"

    /// Holds the socket it inherits on descriptor 3 until its stdin closes.
    public static let holderSpec = CommandSpec(
        name: holderEntry, abstract: "", summary: "Hold the socket on descriptor 3 until stdin closes.", usage: [""],
        options: [], hidden: true)

    /// Connects to 127.0.0.1 through ::ffff:127.0.0.1 and to ::1, as a dual-mode client does.
    public static let clientSpec = CommandSpec(
        name: clientEntry, abstract: "", summary: "Connect to PORT as a dual-mode client.", usage: ["PORT"],
        positionals: [PositionalSpec("PORT", optional: true, help: "The demo listener's port.")],
        options: [], hidden: true)

    public static let spec = CommandSpec(
        name: "demo",
        abstract: "Reproduce both dual-stack stories here, in a few seconds.",
        summary: "Reproduce the two stories behind sockdiag on loopback, with nothing left behind: (1) a dual-mode client in a transient cgroup connects to a dual-stack listener through ::ffff:127.0.0.1, and compare-wire shows the kernel's connect6 beside the wire's IPv4 packets; (2) a process holds 127.0.0.1:Q, and bind-check of [::]:Q shows the trial binds and who would receive IPv4 clients.",
        usage: ["[--json]"],
        discussion: "Needs root (BPF, cgroups and a capture on lo). Traffic goes to loopback only.",
        options: [json],
        examples: [
            CommandExample("sockdiag demo", "Both stories, as text."),
            CommandExample("sockdiag demo --json", "Both reports as one JSON document: {\"ipv4_mapped_client\": ..., \"port_taken_on_ipv4\": ...}."),
        ],
        exitStatus: "Exit status: 0 both stories ran (the problems they show are the point, not a failure), 2 usage or runtime error, or stopped by a signal."
    )
}

/// `sockdiag demo`'s command line, typed.
public struct DemoOptions: Hashable, Sendable {
    public let json: Bool

    public init(json: Bool = false) { self.json = json }

    public init(_ arguments: ParsedArguments) {
        json = arguments.isSet(DemoCommand.json)
    }
}
