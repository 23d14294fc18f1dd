public enum CompareWireCommand {
    public static let interface = OptionSpec("interface", short: "i", .value(placeholder: "IF", .interface), help: "Capture on this interface (default: any).")
    public static let cgroup = OptionSpec("cgroup", short: "c", .value(placeholder: "PATH", .cgroup), help: "Trace the processes of this cgroup v2 directory.")
    public static let netns = OptionSpec("netns", .value(placeholder: "host|NAME|PATH", .netns),
                                         help: "Capture in this network namespace: 'host' (the one sockdiag runs in), a name from 'ip netns', or a path such as /proc/PID/ns/net. Default: the target's own namespace.")
    public static let json = OptionSpec("json", short: "j", help: "Print one JSON document instead of text.")
    public static let duration = OptionSpec("duration", short: "d", .value(placeholder: "SECONDS"), help: "Stop after this many seconds.")
    public static let writePcapng = OptionSpec("write-pcapng", short: "w", .value(placeholder: "FILE", .file),
                                               help: "Also write the capture as pcapng, each packet commented with the kernel's view of its socket.")
    public static let pcap = OptionSpec("pcap", short: "r", .value(placeholder: "FILE", .file), help: "Offline: read packets from this pcap or pcapng file.")
    public static let events = OptionSpec("events", short: "e", .value(placeholder: "FILE", .file), help: "Offline: read kernel events from this 'sockdiag trace --json' log.")

    /// Options of the live mode, refused offline (once --pcap and --events are both given).
    public static let liveOnly = [cgroup, LiveTarget.pid, LiveTarget.unit, LiveTarget.container, netns, interface, duration].map { live in
        OptionExclusion(pcap, live, message: "--\(live.long) is for live mode; offline (--pcap/--events) reads files")
    }

    public static let spec = CommandSpec(
        name: "compare-wire",
        abstract: "Put the kernel's view of each flow beside the wire's view.",
        summary: "Put the kernel's view of each flow (socket family, the address the program passed) beside the wire's view (IP version and addresses on the packets), flow by flow, and say where they differ.",
        usage: ["[--interface IF] (--cgroup PATH | --pid PID... | --unit NAME | --container ID | -- CMD [ARGS...]) [options]", "--pcap FILE --events FILE [--json]"],
        options: [interface, netns, cgroup, LiveTarget.pid, LiveTarget.unit, LiveTarget.container, json, duration, writePcapng, NAT64Option.spec, pcap, events],
        exclusions: liveOnly,
        trailingCommand: "CMD [ARGS...]",
        examples: [
            CommandExample("sockdiag compare-wire -- dotnet restore", "Why a dual-mode client looks like IPv6 to eBPF and IPv4 to Wireshark."),
            CommandExample("sockdiag compare-wire --pcap capture.pcapng --events trace.jsonl", "Join a saved trace with a tcpdump file."),
        ]
    )
}

/// `sockdiag compare-wire`'s command line, typed and checked for combinations the table cannot
/// express.
public struct CompareWireOptions: Hashable, Sendable {
    public enum Mode: Hashable, Sendable {
        /// A saved capture and a saved `sockdiag trace --json` log.
        case offline(pcap: String, events: String)
        case live(LiveTarget)
    }

    public let mode: Mode
    public let json: Bool
    /// The capture's interface, live; `any` unless given.
    public let interface: String
    public let duration: Double?
    public let writePcapng: String?
    /// --netns: where to capture, live; nil captures in the target's own namespace.
    public let netns: String?
    /// --nat64-prefix.
    public let nat64: NAT64Option.Request

    public init(mode: Mode, json: Bool = false, interface: String = "any", duration: Double? = nil, writePcapng: String? = nil,
                netns: String? = nil, nat64: NAT64Option.Request = NAT64Option.Request()) {
        self.mode = mode
        self.nat64 = nat64
        self.netns = netns
        self.json = json
        self.interface = interface
        self.duration = duration
        self.writePcapng = writePcapng
    }

    public init(_ arguments: ParsedArguments) throws(UsageError) {
        typealias C = CompareWireCommand
        json = arguments.isSet(C.json)
        writePcapng = arguments.value(C.writePcapng)
        interface = arguments.value(C.interface) ?? "any"
        netns = arguments.value(C.netns)
        if netns?.isEmpty == true { throw UsageError("--netns needs 'host', a name from 'ip netns' or a path, got ''") }
        if writePcapng?.isEmpty == true { throw UsageError("--write-pcapng needs a file name, got ''") }
        if interface.isEmpty { throw UsageError("--interface needs an interface name (or 'any'), got ''") }
        duration = try OptionValue.positiveSeconds(arguments, C.duration, verb: "needs")
        nat64 = try NAT64Option.Request(arguments)
        let pcap = arguments.value(C.pcap), events = arguments.value(C.events)
        if pcap != nil || events != nil {
            guard let pcap, let events else {
                throw UsageError(pcap == nil ? "--events needs --pcap FILE (offline mode reads both)"
                                             : "--pcap needs --events FILE (offline mode reads both)")
            }
            for exclusion in C.liveOnly { try arguments.check(exclusion) }
            guard arguments.trailingCommand == nil else {
                throw UsageError("'-- CMD' is for live mode; offline (--pcap/--events) reads files")
            }
            if pcap == "-" && events == "-" {
                throw UsageError("--pcap and --events cannot both read standard input ('-'); name one of them")
            }
            mode = .offline(pcap: pcap, events: events)
            return
        }
        mode = .live(try LiveTarget(arguments, cgroup: C.cgroup,
                                    nothing: "nothing to compare: give --cgroup PATH, --pid PID, --unit NAME, --container ID or -- CMD (live), or --pcap FILE --events FILE (offline)"))
    }
}
