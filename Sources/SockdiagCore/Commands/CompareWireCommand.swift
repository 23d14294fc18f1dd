public enum CompareWireCommand {
    public static let interface = OptionSpec("interface", short: "i", .value(placeholder: "IF"), help: "Capture on this interface (default: any).")
    public static let cgroup = OptionSpec("cgroup", short: "c", .value(placeholder: "PATH"), help: "Trace the processes of this cgroup v2 directory.")
    public static let json = OptionSpec("json", short: "j", help: "Print one JSON document instead of text.")
    public static let duration = OptionSpec("duration", short: "d", .value(placeholder: "SECONDS"), help: "Stop after this many seconds.")
    public static let writePcapng = OptionSpec("write-pcapng", short: "w", .value(placeholder: "FILE"),
                                               help: "Also write the capture as pcapng, each packet commented with the kernel's view of its socket.")
    public static let pcap = OptionSpec("pcap", short: "r", .value(placeholder: "FILE"), help: "Offline: read packets from this pcap or pcapng file.")
    public static let events = OptionSpec("events", short: "e", .value(placeholder: "FILE"), help: "Offline: read kernel events from this 'sockdiag trace --json' log.")

    public static let spec = CommandSpec(
        name: "compare-wire",
        abstract: "Put the kernel's view of each flow beside the wire's view.",
        summary: "Put the kernel's view of each flow (socket family, the address the program passed) beside the wire's view (IP version and addresses on the packets), flow by flow, and say where they differ.",
        usage: ["[--interface IF] (--cgroup PATH | -- CMD [ARGS...]) [options]", "--pcap FILE --events FILE [--json]"],
        options: [interface, cgroup, json, duration, writePcapng, pcap, events],
        trailingCommand: "CMD [ARGS...]",
        examples: [
            CommandExample("sockdiag compare-wire -- dotnet restore", "Why a dual-mode client looks like IPv6 to eBPF and IPv4 to Wireshark."),
            CommandExample("sockdiag compare-wire --pcap capture.pcapng --events trace.jsonl", "Join a saved trace with a tcpdump file."),
        ]
    )
}
