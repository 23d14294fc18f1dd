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
        }
    }

    public static func lesson(for event: TraceEvent) -> TraceLesson? {
        switch event {
        case let .socketCall(call):
            guard call.isMapped else { return nil }
            switch call.hook.call {
            case .connect: return .mappedConnect
            case .sendmsg: return .mappedSend
            case .bind: return .mappedBind
            }
        case let .egress(egress):
            return egress.familyDiffersFromWire && egress.socketFamily == .inet6 ? .familyDiffersFromWire : nil
        }
    }
}
