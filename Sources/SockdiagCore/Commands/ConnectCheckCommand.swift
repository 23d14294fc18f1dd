public enum ConnectCheckCommand {
    public static let udp = OptionSpec("udp", short: "u", help: "Check UDP (the default is TCP).")
    public static let json = OptionSpec("json", short: "j", help: "Print one JSON document instead of text.")
    public static let probe = OptionSpec("probe", short: "p",
                                         help: "Really connect to each address (TCP: connect and close, nothing sent; UDP: one empty datagram) and name the process that accepted it.")
    public static let netns = OptionSpec("netns", .value(placeholder: "NAME|PATH", .netns),
                                         help: "Look from inside another network namespace (a name from 'ip netns', or a path such as /proc/PID/ns/net).")

    public static let spec = CommandSpec(
        name: "connect-check",
        abstract: "Show what a client of HOST PORT really reaches, address by address.",
        summary: "Show what a client of HOST PORT really reaches: the resolver's answers in order (with the /etc/hosts line or DNS, and the RFC 6724 rule or /etc/gai.conf line that ordered them), the process that receives each address on this host (or the route to it), what each kind of client (sequential, Happy Eyeballs, Node 17-19, Java) does with the list, and a verdict.",
        usage: ["[options] HOST PORT", "[options] HOST:PORT", "[options] [IPV6]:PORT"],
        discussion: "Exit status 1 when clients reach different processes, when the first choice is refused and clients must fall back, or when nothing is reachable. Without --probe nothing is sent anywhere.",
        positionals: [
            PositionalSpec("HOST", help: "A host name (resolved as getaddrinfo resolves it, AF_UNSPEC with AI_ADDRCONFIG) or an address; HOST:PORT and [IPV6]:PORT in one argument too."),
            PositionalSpec("PORT", optional: true, help: "Port 1-65535."),
        ],
        options: [udp, json, probe, netns],
        examples: [
            CommandExample("sockdiag connect-check localhost 3000", "Why Node 18 gets ECONNREFUSED ::1:3000 while curl works."),
            CommandExample("sockdiag connect-check --probe localhost:8080", "The same with real connects, naming the process that accepted each one."),
            CommandExample("sockdiag connect-check --json --udp db.internal 5353", "A UDP destination, as JSON."),
        ]
    )
}

/// `sockdiag connect-check`'s command line, typed.
public struct ConnectCheckOptions: Equatable, Sendable {
    public let query: ConnectCheckQuery
    public let json: Bool
    public let probe: Bool
    public let netns: String?

    public init(query: ConnectCheckQuery, json: Bool = false, probe: Bool = false, netns: String? = nil) {
        self.query = query
        self.json = json
        self.probe = probe
        self.netns = netns
    }

    public init(_ arguments: ParsedArguments) throws(SockdiagError) {
        let transport: TransportProtocol = arguments.isSet(ConnectCheckCommand.udp) ? .udp : .tcp
        self.init(query: try ConnectCheckQuery(positionals: arguments.positionals, transport: transport),
                  json: arguments.isSet(ConnectCheckCommand.json), probe: arguments.isSet(ConnectCheckCommand.probe),
                  netns: arguments.value(ConnectCheckCommand.netns))
    }
}
