/// What a dual-stack surprise means for someone writing BPF rules, reported once per socket.
public enum TraceLesson: String, Hashable, Sendable, CaseIterable {
    /// connect6 with `::ffff:a.b.c.d`: the IPv4 connection never runs connect4.
    case mappedConnect = "mapped-connect"
    /// An AF_INET6 socket's unconnected send to a mapped address runs sendmsg4.
    case mappedSend = "mapped-send"
    /// An AF_INET6 socket bound to a mapped address.
    case mappedBind = "mapped-bind"
    /// skb->family is AF_INET6 while the packet is IPv4.
    case familyDiffersFromWire = "family-differs-from-wire"
    /// A race's loser closed after the client's attempt delay, its SYN unanswered (Node, curl).
    case attemptTimeout = "attempt-timeout"
    /// A race's loser closed while an ICMP error it had received was still pending in the kernel.
    case abortedAfterICMP = "aborted-after-icmp"
    /// One family refused, the fallback reached a listener of the other, and another program
    /// listens on the same port: the families reach different programs.
    case refusedFallback = "refused-fallback"
    /// An ICMP error ended a connect: something on the path said no.
    case unreachable
    /// No answer to any SYN: something on the path drops them silently.
    case silentTimeout = "silent-timeout"

    public var text: String {
        switch self {
        case .mappedConnect:
            return "connect6 to an IPv4 host through a mapped address: a connect4-only redirect misses it"
        case .mappedSend:
            return "AF_INET6 socket sending to an IPv4 host runs sendmsg4: a sendmsg4 rule must not assume an AF_INET socket"
        case .mappedBind:
            return "AF_INET6 socket bound to a mapped address: it only ever talks IPv4"
        case .familyDiffersFromWire:
            return "AF_INET6 socket sending IPv4 packets: an egress rule on skb->family would drop IPv4 traffic; check skb->protocol"
        case .attemptTimeout:
            return "a Happy Eyeballs loser was closed after the client's attempt delay (Node's autoSelectFamilyAttemptTimeout is 250 ms, curl's happy-eyeballs timeout 200 ms) with its SYN unanswered: on a path slower than that delay this family never wins, and if the other fails too the connect fails though this one might have worked"
        case .abortedAfterICMP:
            return "a Happy Eyeballs loser had already been answered by an ICMP error, which Linux holds until its first retransmission (about 1 s); the client closed it first, so the program never saw why that family failed"
        case .refusedFallback:
            return "refused on one family, the fallback reached a listener on the other while another program also listens on that port: the port is split, and the client got a different program than the one on the port's other addresses; check which one it was meant to reach (sockdiag bind-check ADDRESS PORT)"
        case .unreachable:
            return "an ICMP error ended this connect (no route, prohibited, rejected): the path says no at once, and Linux gives up at the first retransmission instead of the whole SYN timeout"
        case .silentTimeout:
            return "no answer to any SYN: a firewall or blackhole drops them silently, and every client waits the whole SYN timeout (127 s by default) unless it races the other family"
        }
    }

    /// Lessons that make the exit status 1: the socket's family and its packets disagree, or one
    /// IP version lost a race. A connect that simply failed is not one.
    public var isDualStackSurprise: Bool {
        switch self {
        case .unreachable, .silentTimeout: return false
        default: return true
        }
    }

    public static func lesson(for event: TraceEvent) -> TraceLesson? {
        switch event {
        case let .socketCall(call): return lesson(for: call, classification: call.classification)
        case let .egress(egress): return lesson(for: egress)
        case let .outcome(outcome): return lesson(for: outcome)
        }
    }

    /// A call whose `classification` the caller has already worked out (`call.classification`).
    static func lesson(for call: TraceSocketCall, classification: AddressClassification) -> TraceLesson? {
        guard call.socketFamily == .inet6, classification.kind == .ipv4Mapped else { return nil }
        switch call.hook.call {
        case .connect: return .mappedConnect
        case .sendmsg: return .mappedSend
        case .bind: return .mappedBind
        }
    }

    static func lesson(for egress: TraceEgress) -> TraceLesson? {
        egress.familyDiffersFromWire && egress.socketFamily == .inet6 ? .familyDiffersFromWire : nil
    }

    static func lesson(for outcome: TraceOutcome) -> TraceLesson? {
        switch outcome.kind {
        case .unreachable where outcome.transport == .tcp: return .unreachable
        case .timedOut: return .silentTimeout
        default: return nil
        }
    }
}
