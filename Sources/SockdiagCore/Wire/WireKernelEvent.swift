/// A process name (`comm`, at most 15 bytes in the kernel) held inline so events copy freely.
struct WireComm: Hashable, Sendable, CustomStringConvertible {
    private var first: UInt64 = 0
    private var second: UInt64 = 0
    private(set) var count: Int = 0

    static let capacity = 16

    init() {}

    init(_ text: String) {
        for byte in text.utf8.prefix(WireComm.capacity) { append(byte) }
    }

    /// The first `capacity` bytes of `text`, as `append` keeps them, in one copy: every line of
    /// an event log names its process.
    init(_ text: UnsafeRawBufferPointer) {
        var words = (UInt64(0), UInt64(0))
        count = min(text.count, WireComm.capacity)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: text.prefix(count))) }
        first = UInt64(littleEndian: words.0)
        second = UInt64(littleEndian: words.1)
    }

    /// Drops bytes past the capacity, as the kernel does.
    mutating func append(_ byte: UInt8) {
        guard count < WireComm.capacity else { return }
        if count < 8 { first |= UInt64(byte) << UInt64(count * 8) } else { second |= UInt64(byte) << UInt64((count - 8) * 8) }
        count += 1
    }

    var isEmpty: Bool { count == 0 }

    func forEachByte(_ body: (UInt8) -> Void) {
        for i in 0..<count {
            body(UInt8(truncatingIfNeeded: (i < 8 ? first : second) >> UInt64((i & 7) * 8)))
        }
    }

    var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        forEachByte { bytes.append($0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

enum WireKernelEventKind: String, Hashable, Sendable {
    case connect, sendmsg, bind, egress, outcome, summary
    /// A socket open before the run (trace's snapshot of the target's sockets).
    case socket
    /// A kind this reader does not use (a newer tracer's addition): ignored, not an error.
    case other
}

/// One line of `sockdiag trace --json`, reduced to the fields the join needs. Fixed size: the
/// reader fills it without allocating.
public struct WireKernelEvent: Sendable, Equatable {
    var kind: WireKernelEventKind = .other
    var hook: TraceHook?
    var timeNs: UInt64?
    var pid: UInt32?
    var comm = WireComm()
    var cookie: UInt64?
    var socketFamily: AddressFamily?
    var transport: TransportProtocol?
    /// The address and port as the program passed them (connect/sendmsg/bind).
    var address: WireAddress?
    var port: UInt16?
    /// Egress: the IP version of the socket's packets, from the packet's own protocol.
    var wireIsIPv6: Bool?
    var localAddress: WireAddress?
    var localPort: UInt16?
    var remoteAddress: WireAddress?
    var remotePort: UInt16?
    var packets: UInt64?
    var bytes: UInt64?
    /// Summary: events the ring buffer could not take.
    var lost: UInt64?
    /// Outcome: how the socket's connect (or later its connection) ended, after how long, and the
    /// errno the program was given.
    var outcome: TraceOutcomeKind?
    /// Socket: it is a listener (`"state":"LISTEN"`); what it accepts is its holder's.
    var listening = false
    var elapsedNs: UInt64?
    var error: Errno?

    init() {}

    /// The keys an event of this kind must have for the join to use it.
    var missingKey: StaticString? {
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
