/// `--redirect PORT=ADDRESS:PORT`: connects and unconnected sends to PORT go to the target instead.
/// A port may have one IPv4 target (for IPv4 and IPv4-mapped destinations) and one IPv6 target
/// (for native IPv6 destinations).
public struct TraceRedirectRule: Hashable, Sendable {
    public let port: Port
    public let target: SocketAddress

    public init(port: Port, target: SocketAddress) {
        self.port = port
        self.target = target
    }

    /// Parses `53=127.0.0.1:5353` or `53=[::1]:5353`.
    public init(parsing text: String) throws(UsageError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw UsageError("--redirect takes PORT=ADDRESS:PORT (such as 53=127.0.0.1:5353), got '\(text)'")
        }
        do {
            port = try Port(parsing: text[..<equals])
            target = try SocketAddress(parsing: text[text.index(after: equals)...])
        } catch {
            throw UsageError("--redirect '\(text)': \(error)")
        }
        if case let .v6(v6) = target.address, v6.isIPv4Mapped {
            throw UsageError("--redirect '\(text)': give an IPv4 target as a.b.c.d; mapped destinations are redirected to it with their mapping kept")
        }
        if case let .v6(v6) = target.address, let zone = v6.zone {
            // bpf_sock_addr has no scope id to write: the zone would be dropped without a word.
            throw UsageError("--redirect '\(text)': a target cannot carry a zone (%\(zone)); the connect6 hook can rewrite the address and port but not the scope id")
        }
        if port.value == 0 || target.port.value == 0 { throw UsageError("--redirect '\(text)': port 0 cannot be redirected") }
    }

    public var description: String { "\(port)=\(target)" }
}

/// What `--redirect`, `--block-ipv6` and `--naive` ask the policy programs to enforce.
public struct TracePolicy: Hashable, Sendable {
    public let redirects: [TraceRedirectRule]
    public let blockIPv6: Bool
    /// The story's first version: redirect only in connect4, block on skb->family.
    public let naive: Bool

    public init(redirects: [TraceRedirectRule] = [], blockIPv6: Bool = false, naive: Bool = false) throws(UsageError) {
        var seen: Set<String> = []
        for rule in redirects {
            let key = "\(rule.port.value)/\(rule.target.family.rawValue)"
            guard seen.insert(key).inserted else {
                throw UsageError("--redirect gives port \(rule.port) two \(rule.target.family == .inet ? "IPv4" : "IPv6") targets")
            }
        }
        if naive && redirects.isEmpty && !blockIPv6 {
            throw UsageError("--naive changes how --redirect and --block-ipv6 work; give at least one of them")
        }
        self.redirects = redirects
        self.blockIPv6 = blockIPv6
        self.naive = naive
    }

    public var isEmpty: Bool { redirects.isEmpty && !blockIPv6 }

    /// Rules grouped per port: (IPv4 target, IPv6 target).
    public var targetsByPort: [Port: (v4: SocketAddress?, v6: SocketAddress?)] {
        var out: [Port: (v4: SocketAddress?, v6: SocketAddress?)] = [:]
        for rule in redirects {
            var entry = out[rule.port] ?? (nil, nil)
            if rule.target.family == .inet { entry.v4 = rule.target } else { entry.v6 = rule.target }
            out[rule.port] = entry
        }
        return out
    }

    /// How the block decides, as the event reports it.
    public var blockRule: String { naive ? "skb->family" : "skb->protocol" }
}

/// A connect or unconnected send rewritten by `--redirect`. The caller and socket are in
/// `context`, read through as `redirect.pid` and so on.
@dynamicMemberLookup
public struct TraceRedirect: Hashable, Sendable {
    /// Its `cgroup` is set by the reader that can look it up, as for connects.
    public var context: TraceTaskContext
    /// As the hook received them (IPv4 at the `4` hooks).
    public let hookOriginal: SocketAddress
    public let hookTarget: SocketAddress

    public init(_ context: TraceTaskContext, hookOriginal: SocketAddress, hookTarget: SocketAddress) {
        self.context = context
        self.hookOriginal = hookOriginal
        self.hookTarget = hookTarget
    }

    public subscript<Value>(dynamicMember path: KeyPath<TraceTaskContext, Value>) -> Value { context[keyPath: path] }

    /// The destination as the program gave it (mapped again for an AF_INET6 socket at a `4` hook).
    public var original: SocketAddress { SocketAddress(context.programForm(hookOriginal.address), hookOriginal.port) }
    public var target: SocketAddress { SocketAddress(context.programForm(hookTarget.address), hookTarget.port) }
}

/// What the policy programs report besides the trace: redirects and blocked sockets.
public enum TracePolicyEvent: Hashable, Sendable {
    case redirect(TraceRedirect)
    /// A socket's dropped packets: the first one when it happens (`isFinal` false), totals at the end.
    case blocked(TraceEgress)
}
