/// How a connect ended, and later how its connection ended (bpf/outcome.bpf.c).
public enum TraceOutcomeKind: String, Hashable, Sendable, CaseIterable {
    /// The handshake completed.
    case established
    /// TCP: the SYN was answered by a RST. UDP: an ICMP port unreachable (ECONNREFUSED).
    case refused
    /// An ICMP/ICMPv6 error ended the attempt (no route, host unreachable, prohibited).
    case unreachable
    /// No answer to the SYN and its retransmissions.
    case timedOut = "timed-out"
    /// The program closed the socket while its SYN was unanswered (a Happy Eyeballs loser).
    case aborted
    /// TCP: connect() returned an error before any SYN left (no route, no source address, a
    /// policy's EPERM); seen when the socket is released.
    case failed
    /// An established connection ended by a RST, sent or received.
    case reset
    /// An established connection closed.
    case closed

    /// The numbering of `enum sockdiag_outcome` in sockdiag_events.h.
    public init?(rawOutcome value: UInt32) {
        switch value {
        case 1: self = .established
        case 2: self = .refused
        case 3: self = .unreachable
        case 4: self = .timedOut
        case 5: self = .aborted
        case 6: self = .reset
        case 7: self = .closed
        case 8: self = .failed
        default: return nil
        }
    }

    /// The raw value as fixed text, for per-row writers.
    public var name: StaticString {
        switch self {
        case .established: return "established"
        case .refused: return "refused"
        case .unreachable: return "unreachable"
        case .timedOut: return "timed-out"
        case .aborted: return "aborted"
        case .failed: return "failed"
        case .reset: return "reset"
        case .closed: return "closed"
        }
    }

    /// The outcome of the connect itself; `reset` and `closed` come later, to established connections.
    public var endsConnect: Bool { self != .reset && self != .closed }

    /// The attempt failed (anything but `established`, among connect outcomes).
    public var isFailure: Bool { endsConnect && self != .established }
}

/// Which end sent the RST of a `reset`.
public enum TraceResetBy: String, Hashable, Sendable {
    case peer
    case local

    /// `enum sockdiag_reset_by`; nil for none.
    public init?(rawResetBy value: UInt8) {
        switch value {
        case 1: self = .peer
        case 2: self = .local
        default: return nil
        }
    }
}

/// One socket's outcome, as the kernel saw it.
public struct TraceOutcome: Hashable, Sendable {
    public let cookie: UInt64
    /// When it happened, nanoseconds since the Unix epoch.
    public let timeNs: UInt64
    /// The process of the socket's connect, when the trace saw it.
    public var pid: Int32?
    public var comm: String?
    public var cgroup: ProcessCgroup?
    public let kind: TraceOutcomeKind
    public let transport: TransportProtocol
    /// The socket's family (nil for UDP outcomes until the connect names it).
    public var socketFamily: AddressFamily?
    /// The socket's ends as the kernel holds them; nil for UDP, until the connect names the peer.
    public var local: SocketAddress?
    public var remote: SocketAddress?
    /// Since connect() ran (its connect hook: for TCP, just before the kernel sends the SYN).
    public let elapsedNs: UInt64
    /// SYNs sent again before the connect's outcome; nil on `reset`/`closed`.
    public let synRetransmits: UInt32?
    /// The smoothed round trip when the outcome came; nil without a sample.
    public let rttMicroseconds: UInt32?
    /// Payload bytes each way, on `reset`/`closed`.
    public let bytesSent: UInt64?
    public let bytesReceived: UInt64?
    /// What the kernel handed the program (sk_err): ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH...; on
    /// `aborted`, the ICMP error that had arrived but not yet ended the attempt; on `failed`, the
    /// error a route lookup for the destination gives in the process's network namespace
    /// (ENETUNREACH), set by the reader, nil when that finds a route.
    public var error: Errno?
    public let resetBy: TraceResetBy?
    /// The Happy Eyeballs attempt group this connect belongs to, when it raced another family.
    public var group: Int?

    public init(cookie: UInt64, timeNs: UInt64, pid: Int32? = nil, comm: String? = nil, kind: TraceOutcomeKind,
                transport: TransportProtocol, socketFamily: AddressFamily?, local: SocketAddress?, remote: SocketAddress?,
                elapsedNs: UInt64, synRetransmits: UInt32?, rttMicroseconds: UInt32?, bytesSent: UInt64?,
                bytesReceived: UInt64?, error: Errno?, resetBy: TraceResetBy?, group: Int? = nil) {
        self.cookie = cookie
        self.timeNs = timeNs
        self.pid = pid
        self.comm = comm
        self.kind = kind
        self.transport = transport
        self.socketFamily = socketFamily
        self.local = local
        self.remote = remote
        self.elapsedNs = elapsedNs
        self.synRetransmits = synRetransmits
        self.rttMicroseconds = rttMicroseconds
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
        self.error = error
        self.resetBy = resetBy
        self.group = group
    }

    /// The peer's IP version on the wire: a mapped peer of an AF_INET6 socket is IPv4.
    public var peerIsIPv6: Bool? {
        guard let remote else { return nil }
        if case let .v6(v6) = remote.address { return v6.unmapped == nil }
        return false
    }

    /// The ICMP message Linux turns into this outcome's errno (net/ipv4/icmp.c icmp_err_convert,
    /// net/ipv6/icmp.c icmpv6_err_convert), for `unreachable` and a UDP `refused`. The kernel keeps
    /// only the errno, so several codes that map to one errno are named together.
    public var icmp: String? {
        guard kind == .unreachable || kind == .aborted || (kind == .refused && resetBy == nil), let error, let v6 = peerIsIPv6 ?? (socketFamily == .inet6 ? true : nil) else { return nil }
        if v6 {
            switch error.rawValue {
            case 101: return "ICMPv6 destination unreachable, code 0 (no route)"
            case 13: return "ICMPv6 destination unreachable, code 1, 5 or 6 (administratively prohibited, policy, reject route)"
            case 113: return "ICMPv6 destination unreachable, code 2 or 3 (address unreachable), or time exceeded"
            case 111: return "ICMPv6 destination unreachable, code 4 (port unreachable)"
            case 71: return "ICMPv6 parameter problem"
            default: return nil
            }
        }
        switch error.rawValue {
        case 101: return "ICMP destination unreachable, code 0, 6, 9 or 11 (network unreachable, unknown or prohibited)"
        case 113: return "ICMP destination unreachable, code 1, 10, 12, 13, 14 or 15 (host unreachable or prohibited), or time exceeded"
        case 111: return "ICMP destination unreachable, code 3 (port unreachable)"
        case 92: return "ICMP destination unreachable, code 2 (protocol unreachable)"
        case 112: return "ICMP destination unreachable, code 7 (host unknown)"
        case 64: return "ICMP destination unreachable, code 8 (host isolated)"
        case 71: return "ICMP parameter problem"
        default: return nil
        }
    }
}

extension TraceOutcome {
    /// `0.045 ms`, `0.1 ms`, `250 ms`, `63.1 s`: elapsed times at a glance.
    public static func duration(_ ns: UInt64) -> String {
        if ns < 100_000 { return formatted(ns, 1_000_000, 3) + " ms" }
        if ns < 100_000_000 { return formatted(ns, 1_000_000, 1) + " ms" }
        if ns < 10_000_000_000 { return "\(ns / 1_000_000) ms" }
        return formatted(ns, 1_000_000_000, 1) + " s"
    }

    /// `value / unit` with `digits` decimals, truncated.
    private static func formatted(_ value: UInt64, _ unit: UInt64, _ digits: Int) -> String {
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = value * scale / unit
        let fraction = String(scaled % scale)
        return "\(scaled / scale)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
