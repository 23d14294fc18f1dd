/// A process name (`comm`, at most 15 bytes in the kernel) held inline so events copy freely.
public struct WireComm: Hashable, Sendable, CustomStringConvertible {
    private var first: UInt64 = 0
    private var second: UInt64 = 0
    public private(set) var count: Int = 0

    public static let capacity = 16

    public init() {}

    public init(_ text: String) {
        for byte in text.utf8.prefix(WireComm.capacity) { append(byte) }
    }

    /// Drops bytes past the capacity, as the kernel does.
    public mutating func append(_ byte: UInt8) {
        guard count < WireComm.capacity else { return }
        if count < 8 { first |= UInt64(byte) << UInt64(count * 8) } else { second |= UInt64(byte) << UInt64((count - 8) * 8) }
        count += 1
    }

    public var isEmpty: Bool { count == 0 }

    public func forEachByte(_ body: (UInt8) -> Void) {
        for i in 0..<count {
            body(UInt8(truncatingIfNeeded: (i < 8 ? first : second) >> UInt64((i & 7) * 8)))
        }
    }

    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        forEachByte { bytes.append($0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

public enum WireKernelEventKind: String, Hashable, Sendable {
    case connect, sendmsg, bind, egress, outcome, summary
    /// A socket open before the run (trace's snapshot of the target's sockets).
    case socket
    /// A kind this reader does not use (a newer tracer's addition): ignored, not an error.
    case other
}

/// One line of `sockdiag trace --json`, reduced to the fields the join needs. Fixed size: the
/// reader fills it without allocating.
public struct WireKernelEvent: Sendable, Equatable {
    public var kind: WireKernelEventKind = .other
    public var hook: TraceHook?
    public var timeNs: UInt64?
    public var pid: UInt32?
    public var comm = WireComm()
    public var cookie: UInt64?
    public var socketFamily: AddressFamily?
    public var transport: TransportProtocol?
    /// The address and port as the program passed them (connect/sendmsg/bind).
    public var address: WireAddress?
    public var port: UInt16?
    /// Egress: the IP version of the socket's packets, from the packet's own protocol.
    public var wireIsIPv6: Bool?
    public var localAddress: WireAddress?
    public var localPort: UInt16?
    public var remoteAddress: WireAddress?
    public var remotePort: UInt16?
    public var packets: UInt64?
    public var bytes: UInt64?
    /// Summary: events the ring buffer could not take.
    public var lost: UInt64?
    /// Outcome: how the socket's connect (or later its connection) ended, after how long, and the
    /// errno the program was given.
    public var outcome: TraceOutcomeKind?
    /// Socket: it is a listener (`"state":"LISTEN"`); what it accepts is its holder's.
    public var listening = false
    public var elapsedNs: UInt64?
    public var error: Errno?

    public init() {}

    /// The keys an event of this kind must have for the join to use it.
    public var missingKey: StaticString? {
        switch kind {
        case .connect, .sendmsg:
            if cookie == nil { return "cookie" }
            if socketFamily == nil { return "socket_family" }
            if address == nil { return "address" }
            if port == nil { return "port" }
            return nil
        case .egress:
            if cookie == nil { return "cookie" }
            if wireIsIPv6 == nil { return "wire_protocol" }
            if localAddress == nil { return "local_address" }
            if localPort == nil { return "local_port" }
            if remoteAddress == nil { return "remote_address" }
            if remotePort == nil { return "remote_port" }
            return nil
        case .outcome:
            if cookie == nil { return "cookie" }
            if outcome == nil { return "outcome" }
            return nil
        case .socket:
            if cookie == nil { return "cookie" }
            if pid == nil { return "pid" }
            return nil
        case .bind, .summary, .other:
            return nil
        }
    }
}
