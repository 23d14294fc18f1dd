import CSockdiagShim
import SockdiagCore
import SockdiagSystem

/// Turns the raw records of bpf/trace.bpf.c (layouts in sockdiag_events.h) into `TraceEvent`s.
struct TraceRecordDecoder {
    /// Added to the kernel's CLOCK_MONOTONIC times to get wall-clock times.
    let monotonicToRealtimeNs: Int64

    init() { monotonicToRealtimeNs = WallClock.monotonicToRealtimeNs() }

    func wallClock(_ monotonicNs: UInt64) -> UInt64 { UInt64(max(0, Int64(monotonicNs) + monotonicToRealtimeNs)) }

    /// nil for a record this reader does not know (a newer BPF object), which is skipped.
    /// Fields are read straight from the record: this runs once per event on a busy path.
    func decode(_ data: UnsafeRawPointer, size: Int) -> TraceEvent? {
        guard size >= 4 else { return nil }
        switch data.loadUnaligned(as: UInt32.self) {
        case UInt32(SOCKDIAG_EVENT_SOCK_ADDR.rawValue):
            guard size >= MemoryLayout<sockdiag_sock_addr_event>.size else { return nil }
            return decodeSocketCall(data).map(TraceEvent.socketCall)
        case UInt32(SOCKDIAG_EVENT_EGRESS.rawValue):
            guard size >= MemoryLayout<sockdiag_egress_event>.size else { return nil }
            return decodeEgress(data, isFinal: false).map(TraceEvent.egress)
        case UInt32(SOCKDIAG_EVENT_OUTCOME.rawValue):
            guard size >= MemoryLayout<sockdiag_outcome_event>.size else { return nil }
            return decodeOutcome(data).map(TraceEvent.outcome)
        default:
            return nil
        }
    }

    /// `decode`, each record handed on as its own kind.
    func decode<Handler: TraceRecordHandler>(_ data: UnsafeRawPointer, size: Int, into handler: inout Handler) {
        guard size >= 4 else { return }
        switch data.loadUnaligned(as: UInt32.self) {
        case UInt32(SOCKDIAG_EVENT_SOCK_ADDR.rawValue):
            guard size >= MemoryLayout<sockdiag_sock_addr_event>.size, let call = decodeSocketCall(data) else { return }
            handler.handle(call: call)
        case UInt32(SOCKDIAG_EVENT_EGRESS.rawValue):
            guard size >= MemoryLayout<sockdiag_egress_event>.size, let egress = decodeEgress(data, isFinal: false) else { return }
            handler.handle(egress: egress)
        case UInt32(SOCKDIAG_EVENT_OUTCOME.rawValue):
            guard size >= MemoryLayout<sockdiag_outcome_event>.size, let outcome = decodeOutcome(data) else { return }
            handler.handle(outcome: outcome)
        default:
            return
        }
    }

    private typealias SockAddr = sockdiag_sock_addr_event
    private typealias Egress = sockdiag_egress_event
    private typealias Outcome = sockdiag_outcome_event

    private func decodeOutcome(_ data: UnsafeRawPointer) -> TraceOutcome? {
        func field<T>(_ path: KeyPath<Outcome, T>, _ type: T.Type) -> T {
            data.loadUnaligned(fromByteOffset: MemoryLayout<Outcome>.offset(of: path)!, as: type)
        }
        guard let kind = TraceOutcomeKind(rawOutcome: field(\.outcome, UInt32.self)),
              let transport = TransportProtocol(ipProtocolNumber: Int(field(\.protocol, UInt8.self))) else { return nil }
        // UDP records carry no addresses: the socket's connect names its peer.
        let family = transport == .tcp ? AddressFamily(rawSocketFamily: Int(field(\.family, UInt16.self))) : nil
        func end(_ path: KeyPath<Outcome, (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)>,
                 _ port: UInt16) -> SocketAddress? {
            family.map { SocketAddress(Self.address(data + MemoryLayout<Outcome>.offset(of: path)!, v4: $0 == .inet), Port(port)) }
        }
        let connectOutcome = kind.endsConnect
        // A connect that failed before its SYN left has no ends in the socket: its connect names them.
        let hasEnds = kind != .failed
        let error = field(\.error, Int32.self)
        let rtt = field(\.rtt_us, UInt32.self)
        return TraceOutcome(
            cookie: field(\.cookie, UInt64.self), timeNs: wallClock(field(\.time_ns, UInt64.self)), kind: kind,
            transport: transport, socketFamily: family,
            local: hasEnds ? end(\.local_addr, field(\.local_port, UInt16.self)) : nil,
            remote: hasEnds ? end(\.remote_addr, field(\.remote_port, UInt16.self)) : nil,
            elapsedNs: field(\.elapsed_ns, UInt64.self),
            synRetransmits: connectOutcome && transport == .tcp ? field(\.syn_retransmits, UInt32.self) : nil,
            rttMicroseconds: rtt > 0 ? rtt : nil,
            bytesSent: connectOutcome ? nil : field(\.bytes_sent, UInt64.self),
            bytesReceived: connectOutcome ? nil : field(\.bytes_received, UInt64.self),
            error: error != 0 ? Errno(error) : nil, resetBy: TraceResetBy(rawResetBy: field(\.reset_by, UInt8.self)))
    }

    private func decodeSocketCall(_ data: UnsafeRawPointer) -> TraceSocketCall? {
        func field<T>(_ path: KeyPath<SockAddr, T>, _ type: T.Type) -> T {
            data.loadUnaligned(fromByteOffset: MemoryLayout<SockAddr>.offset(of: path)!, as: type)
        }
        guard let hook = TraceHook(rawHook: field(\.hook, UInt32.self)),
              let family = AddressFamily(rawSocketFamily: Int(field(\.socket_family, UInt16.self))) else { return nil }
        let addressOffset = MemoryLayout<SockAddr>.offset(of: \SockAddr.addr)!
        let commOffset = MemoryLayout<SockAddr>.offset(of: \SockAddr.comm)!
        let context = TraceTaskContext(
            hook: hook, timeNs: wallClock(field(\.time_ns, UInt64.self)), pid: Int32(bitPattern: field(\.tgid, UInt32.self)),
            tid: Int32(bitPattern: field(\.tid, UInt32.self)), comm: Self.string(data + commOffset, limit: Int(SOCKDIAG_COMM_LEN)),
            uid: field(\.uid, UInt32.self), cgroupID: field(\.cgroup_id, UInt64.self), cookie: field(\.cookie, UInt64.self),
            socketFamily: family, transport: TransportProtocol(ipProtocolNumber: Int(field(\.protocol, UInt16.self))))
        return TraceSocketCall(context, hookAddress: Self.address(data + addressOffset, v4: hook.addressFamily == .inet),
                               port: Port(field(\.port, UInt16.self)))
    }

    /// Per-socket totals read from a map at the end of a run, as final records in time order (the
    /// map's order among equal times). The records are ordered by their raw times before they are
    /// decoded, so the sort moves integers, not events.
    func decodeFinalEgress(_ records: [sockdiag_egress_event]) -> [TraceEgress] {
        var decoded: [TraceEgress] = []
        forEachFinalEgress(records) { decoded.append($0) }
        return decoded
    }

    /// `decodeFinalEgress` one record at a time.
    func forEachFinalEgress(_ records: [sockdiag_egress_event], _ body: (TraceEgress) -> Void) {
        // Sorted as (time, position) pairs side by side, not positions that each comparison reads
        // the records through: tens of thousands of sockets end a busy run.
        var order = records.indices.map { (time: records[$0].time_ns, index: $0) }
        order.sort { $0.time < $1.time || ($0.time == $1.time && $0.index < $1.index) }
        for (_, index) in order {
            if let egress = decodeEgress(records[index], isFinal: true) { body(egress) }
        }
    }

    func decodeEgress(_ record: sockdiag_egress_event, isFinal: Bool) -> TraceEgress? {
        withUnsafeBytes(of: record) { decodeEgress($0.baseAddress!, isFinal: isFinal) }
    }

    private func decodeEgress(_ data: UnsafeRawPointer, isFinal: Bool) -> TraceEgress? {
        func field<T>(_ path: KeyPath<Egress, T>, _ type: T.Type) -> T {
            data.loadUnaligned(fromByteOffset: MemoryLayout<Egress>.offset(of: path)!, as: type)
        }
        guard let family = AddressFamily(rawSocketFamily: Int(field(\.socket_family, UInt16.self))),
              let wire = TraceWireProtocol(etherType: field(\.wire_protocol, UInt16.self)) else { return nil }
        let local = Self.address(data + MemoryLayout<Egress>.offset(of: \Egress.local_addr)!, v4: wire == .ipv4)
        let remote = Self.address(data + MemoryLayout<Egress>.offset(of: \Egress.remote_addr)!, v4: wire == .ipv4)
        // The holder the kernel saw send (0: none yet, such as an accepted socket that has only
        // acknowledged from a softirq).
        let holder = field(\.tgid, UInt32.self)
        var egress = TraceEgress(
            cookie: field(\.cookie, UInt64.self), timeNs: wallClock(field(\.time_ns, UInt64.self)),
            pid: holder != 0 ? Int32(bitPattern: holder) : nil,
            comm: holder != 0 ? Self.string(data + MemoryLayout<Egress>.offset(of: \Egress.holder_comm)!, limit: Int(SOCKDIAG_COMM_LEN)) : nil,
            socketFamily: family, wireProtocol: wire,
            transport: TransportProtocol(ipProtocolNumber: Int(field(\.ip_protocol, UInt8.self))),
            local: SocketAddress(local, Port(field(\.local_port, UInt16.self))),
            remote: SocketAddress(remote, Port(field(\.remote_port, UInt16.self))),
            packets: field(\.packets, UInt64.self), bytes: field(\.bytes, UInt64.self), isFinal: isFinal)
        if holder != 0 { egress.holderCgroupID = field(\.holder_cgroup_id, UInt64.self) }
        return egress
    }

    /// 16 bytes in network order: an IPv4 address in the first four, or an IPv6 address.
    static func address(_ bytes: UnsafeRawPointer, v4: Bool) -> IPAddress {
        if v4 { return .v4(IPv4Address(UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self)))) }
        return .v6(IPv6Address(high: UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self)),
                               low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))))
    }

    /// A NUL-terminated (or full-length) C string field.
    private static func string(_ bytes: UnsafeRawPointer, limit: Int) -> String {
        let buffer = UnsafeRawBufferPointer(start: bytes, count: limit)
        let end = buffer.firstIndex(of: 0) ?? limit
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[..<end]), as: UTF8.self)
    }
}

extension TraceRecordDecoder {
    /// A C string held in a fixed-size char array field.
    static func cString<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { bytes in
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }
}
