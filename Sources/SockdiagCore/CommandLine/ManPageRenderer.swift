/// Renders the sockdiag(1) manual page as roff (the `man` macros) from `CommandCatalog` and each
/// subcommand's `CommandSpec`: the same tables that parse arguments and print `--help`.
/// `docs/sockdiag.1` is this output; a unit test fails when the two differ.
public enum ManPageRenderer {
    public static func render(_ catalog: [CommandSpec] = CommandCatalog.subcommands,
                              version: String = CommandCatalog.version) -> String {
        var page = Roff()
        page.comment("Generated from the option tables by 'sockdiag help --man' (scripts/gen-docs). Do not edit.")
        page.request("TH", "SOCKDIAG", "1", "", "sockdiag \(version)", "User Commands")
        // Exact spelling matters more than justified margins for options and addresses.
        page.request("nh")
        page.request("ad", "l")

        page.section("NAME")
        page.text("sockdiag \\- diagnose dual-stack (IPv4/IPv6) socket problems on Linux")

        page.section("SYNOPSIS")
        var synopsis = [Roff.bold("sockdiag") + " " + Roff.italic("subcommand") + " [" + Roff.italic("options")
            + "] [" + Roff.italic("arguments") + "] [" + Roff.bold(Roff.code("--")) + " " + Roff.italic("CMD")
            + " [" + Roff.italic("ARGS") + "...]]"]
        synopsis += catalog.flatMap(usageLines)
        synopsis.append(Roff.bold(Roff.code("sockdiag help")) + " [" + Roff.italic("subcommand") + " | " + Roff.bold(Roff.code("--man")) + "]")
        synopsis.append(Roff.bold(Roff.code("sockdiag --version")))
        page.synopsis(synopsis)

        page.section("DESCRIPTION")
        for paragraph in description { page.paragraph(Roff.prose(paragraph)) }

        page.section("COMMANDS")
        for spec in catalog { render(spec, into: &page) }
        page.subsection("sockdiag help [subcommand | --man]")
        page.text(Roff.prose("Print the help of a subcommand (the same text as 'sockdiag SUBCOMMAND --help'), or with --man this manual page as roff."))

        page.section("GLOBAL OPTIONS")
        page.option(Roff.bold(Roff.code("-h")) + ", " + Roff.bold(Roff.code("--help")),
                    Roff.prose("Show the help (of the subcommand it follows) and exit. Allowed after every subcommand."))
        page.option(Roff.bold(Roff.code("--version")), Roff.prose("Print the version, the build id of the embedded BPF objects (SHA-256), and the libbpf and libpcap versions sockdiag was built with beside those it runs with; paste it into bug reports."))

        page.section("EXIT STATUS")
        for status in [ExitStatus.ok, .problemFound, .failure] {
            page.option(Roff.bold(String(status.rawValue)), Roff.prose(meaning(of: status)))
        }

        page.section("EXAMPLES")
        for spec in catalog {
            for example in spec.examples {
                page.option(Roff.bold(Roff.code(example.command)), Roff.prose(example.explanation))
            }
        }

        page.section("ENVIRONMENT")
        page.option(Roff.bold("NO_COLOR"), Roff.prose("When set to a non-empty value, text output has no colour. Colour is also off when standard output is not a terminal, and when TERM is dumb."))

        page.section("FILES")
        for (path, use) in files { page.option(Roff.italic(Roff.code(path)), Roff.prose(use)) }

        page.section("REQUIREMENTS")
        for paragraph in requirements { page.paragraph(Roff.prose(paragraph)) }

        page.section("SEE ALSO")
        page.text(seeAlso.map { Roff.bold($0.name) + "(\($0.section))" }.joined(separator: ", "))
        return page.text
    }

    private static func render(_ spec: CommandSpec, into page: inout Roff) {
        page.subsection("sockdiag \(spec.name)")
        page.synopsis(usageLines(spec))
        page.paragraph(Roff.prose(spec.summary))
        if let discussion = spec.discussion { page.paragraph(Roff.prose(discussion)) }
        if !spec.positionals.isEmpty {
            page.paragraph(Roff.bold("Arguments:"))
            for positional in spec.positionals {
                page.option(Roff.italic(Roff.code(positional.name)), Roff.prose(positional.help))
            }
        }
        page.paragraph(Roff.bold("Options:"))
        for option in spec.visibleOptions {
            var head = option.short.map { Roff.bold(Roff.code("-\($0)")) + ", " } ?? ""
            head += Roff.bold(Roff.code("--\(option.long)"))
            if let placeholder = option.placeholder { head += " " + Roff.italic(Roff.code(placeholder)) }
            let repeatNote = option.repeatable ? " May be given more than once." : ""
            page.option(head, Roff.prose(option.help + repeatNote))
        }
    }

    private static func usageLines(_ spec: CommandSpec) -> [String] {
        spec.usage.map { Roff.bold(Roff.code("sockdiag \(spec.name)")) + " " + Roff.code($0) }
    }

    static func meaning(of status: ExitStatus) -> String {
        switch status {
        case .ok: return "Nothing wrong was found."
        case .problemFound: return "A dual-stack problem was found: a bind conflict, IPv4 and IPv6 clients reaching different sockets, or the kernel and the wire disagreeing about a flow."
        case .failure: return "Usage or runtime error: bad arguments or input, missing privileges or kernel features. One line on standard error says what, prefixed with 'sockdiag:'."
        }
    }

    static let description = [
        "sockdiag explains dual-stack socket behaviour on a running Linux system: what binding an address and port will do and who already holds it (bind-check), what connects, unconnected sends and binds the kernel sees from a group of processes, with the address family and class of each address (trace), and where the kernel's view of a flow and the packets on the wire disagree (compare-wire).",
        "Each diagnosing subcommand prints aligned text for people, or with --json one JSON document (JSON Lines for streams) with snake_case keys. The option tables shown here also produce --help and the bash completion ('sockdiag completion bash').",
        "The two classic surprises it reproduces: an AF_INET6 socket given ::ffff:a.b.c.d (an IPv4-mapped address) runs the connect6 cgroup hook yet sends IPv4 packets; and a listener on [::] accepts IPv4 clients unless IPV6_V6ONLY is set, while an AF_INET socket bound to the same port takes the IPv4 clients instead.",
    ]

    static let files: [(String, String)] = [
        ("/proc/sys/net/ipv6/bindv6only", "Default of IPV6_V6ONLY for new AF_INET6 sockets."),
        ("/proc/PID/fd, /proc/PID/comm, /proc/PID/cmdline", "Which process owns a socket."),
        ("/sys/fs/cgroup", "The cgroup v2 mount; --cgroup paths may be relative to it."),
        ("/run/netns", "Named network namespaces ('ip netns'), for --netns NAME."),
    ]

    static let requirements = [
        "Linux 6.x with cgroup v2 mounted. trace and compare-wire load eBPF programs on a cgroup (the connect, sendmsg and bind hooks for IPv4 and IPv6, and cgroup_skb/egress) and need root: CAP_BPF and CAP_NET_ADMIN, and write access to the cgroup tree for the transient cgroup of -- CMD. compare-wire also captures packets and needs CAP_NET_RAW. bind-check runs unprivileged, but names the processes that own other users' sockets only when run as root.",
        "The eBPF objects are built into the binary; at run time sockdiag needs the shared libraries libbpf, libelf and libpcap and no other file.",
    ]

    static let seeAlso: [(name: String, section: Int)] = [
        ("ss", 8), ("tcpdump", 8), ("bpftool", 8), ("ip-netns", 8), ("ipv6", 7), ("socket", 7),
    ]
}

/// A roff document under construction. Text is escaped where it enters; requests are added whole.
struct Roff {
    private(set) var text = ""

    mutating func comment(_ line: String) { text += ".\\\" \(line)\n" }

    mutating func request(_ name: String, _ arguments: String...) {
        text += "." + ([name] + arguments.map(Roff.quoted)).joined(separator: " ") + "\n"
    }

    mutating func section(_ title: String) { text += ".SH \(Roff.quoted(title))\n" }
    mutating func subsection(_ title: String) { text += ".SS \(Roff.quoted(Roff.code(title)))\n" }
    mutating func paragraph(_ line: String) { text += ".PP\n" + Roff.line(line) }
    mutating func text(_ line: String) { text += Roff.line(line) }

    /// Usage lines, each hanging if it wraps, with no blank line between them.
    mutating func synopsis(_ lines: [String]) {
        text += ".PD 0\n"
        for line in lines { text += ".HP 4\n" + Roff.line(line) }
        text += ".PD\n"
    }

    /// A tagged paragraph: the tag on its own line, the body indented below it.
    mutating func option(_ tag: String, _ body: String) { text += ".TP\n" + Roff.line(tag) + Roff.line(body) }

    static func bold(_ escaped: String) -> String { "\\fB\(escaped)\\fR" }
    static func italic(_ escaped: String) -> String { "\\fI\(escaped)\\fR" }

    /// Literal text a user types: every hyphen is a minus sign, so it copies as ASCII '-'.
    static func code(_ raw: String) -> String {
        var out = ""
        for character in raw {
            switch character {
            case "\\": out += "\\e"
            case "-": out += "\\-"
            default: out.append(character)
            }
        }
        return out
    }

    /// Running text: hyphens inside words (dual-stack) stay hyphens, hyphens that start a word
    /// (--json, -- CMD) become minus signs.
    static func prose(_ raw: String) -> String {
        var out = ""
        var previous: Character = " "
        for character in raw {
            switch character {
            case "\\": out += "\\e"
            case "-" where previous == " " || previous == "-" || previous == "(" || previous == "'":
                out += "\\-"
            default: out.append(character)
            }
            previous = character
        }
        return out
    }

    /// A text line that cannot be read as a request: a leading '.' or "'" is guarded by '\&'.
    private static func line(_ escaped: String) -> String {
        let guarded = escaped.hasPrefix(".") || escaped.hasPrefix("'") ? "\\&" + escaped : escaped
        return guarded + "\n"
    }

    private static func quoted(_ argument: String) -> String {
        argument.isEmpty || argument.contains(" ") ? "\"\(argument.replacingQuotes)\"" : argument
    }
}

extension String {
    /// Inside a quoted macro argument, `"` is written `""`.
    fileprivate var replacingQuotes: String {
        var out = ""
        for character in self { out += character == "\"" ? "\"\"" : String(character) }
        return out
    }
}
