/// The BPF hook an event came from, named as the kernel's attach types are.
public enum TraceHook: String, Hashable, Sendable, CaseIterable {
    case connect4
    case connect6
    case sendmsg4
    case sendmsg6
    case postBind4 = "post_bind4"
    case postBind6 = "post_bind6"

    /// The hook numbering of `enum sockdiag_hook` in sockdiag_events.h.
    public init?(rawHook value: UInt32) {
        switch value {
        case 1: self = .connect4
        case 2: self = .connect6
        case 3: self = .sendmsg4
        case 4: self = .sendmsg6
        case 5: self = .postBind4
        case 6: self = .postBind6
        default: return nil
        }
    }

    /// The raw value as fixed text, for per-row writers.
    public var name: StaticString {
        switch self {
        case .connect4: return "connect4"
        case .connect6: return "connect6"
        case .sendmsg4: return "sendmsg4"
        case .sendmsg6: return "sendmsg6"
        case .postBind4: return "post_bind4"
        case .postBind6: return "post_bind6"
        }
    }

    public var call: TraceCall {
        switch self {
        case .connect4, .connect6: return .connect
        case .sendmsg4, .sendmsg6: return .sendmsg
        case .postBind4, .postBind6: return .bind
        }
    }

    /// The family of the address the hook is handed: the `4` hooks get a `sockaddr_in` even when
    /// the socket is AF_INET6 (the kernel un-maps `::ffff:a.b.c.d` before sendmsg4).
    public var addressFamily: AddressFamily {
        switch self {
        case .connect4, .sendmsg4, .postBind4: return .inet
        case .connect6, .sendmsg6, .postBind6: return .inet6
        }
    }
}

/// The system call behind a hook.
public enum TraceCall: String, Hashable, Sendable, CaseIterable {
    case connect
    case sendmsg
    case bind
}

/// The IP version of a packet as it leaves, read from the packet itself (`skb->protocol`).
public enum TraceWireProtocol: String, Hashable, Sendable, CaseIterable {
    case ipv4
    case ipv6

    /// `ETH_P_IP` / `ETH_P_IPV6` in host order.
    public init?(etherType: UInt16) {
        switch etherType {
        case 0x0800: self = .ipv4
        case 0x86DD: self = .ipv6
        default: return nil
        }
    }

    public var addressFamily: AddressFamily { self == .ipv4 ? .inet : .inet6 }
}
