#if canImport(Glibc)
import Glibc
#endif
import CSockdiagShim
import SockdiagCore

/// Turns the raw records of bpf/trace.bpf.c (layouts in sockdiag_events.h) into `TraceEvent`s.
struct TraceRecordDecoder {
    /// Added to the kernel's CLOCK_MONOTONIC times to get wall-clock times.
    let monotonicToRealtimeNs: Int64

    init() {
        var realtime = timespec(), monotonic = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        clock_gettime(CLOCK_REALTIME, &realtime)
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        func ns(_ t: timespec) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec) }
        monotonicToRealtimeNs = ns(realtime) - ns(monotonic)
    }

    func wallClock(_ monotonicNs: UInt64) -> UInt64 { UInt64(max(0, Int64(monotonicNs) + monotonicToRealtimeNs)) }

    /// nil for a record this reader does not know (a newer BPF object), which is skipped.
    func decode(_ data: UnsafeRawPointer, size: Int) -> TraceEvent? {
        guard size >= 4 else { return nil }
        switch data.loadUnaligned(as: UInt32.self) {
        case UInt32(SOCKDIAG_EVENT_SOCK_ADDR.rawValue):
            guard size >= MemoryLayout<sockdiag_sock_addr_event>.size else { return nil }
            return decodeSocketCall(data.loadUnaligned(as: sockdiag_sock_addr_event.self)).map(TraceEvent.socketCall)
        case UInt32(SOCKDIAG_EVENT_EGRESS.rawValue):
            guard size >= MemoryLayout<sockdiag_egress_event>.size else { return nil }
            return decodeEgress(data.loadUnaligned(as: sockdiag_egress_event.self), isFinal: false).map(TraceEvent.egress)
        default:
            return nil
        }
    }

    func decodeSocketCall(_ record: sockdiag_sock_addr_event) -> TraceSocketCall? {
        guard let hook = TraceHook(rawHook: record.hook),
              let family = AddressFamily(rawSocketFamily: Int(record.socket_family)) else { return nil }
        let address = withUnsafeBytes(of: record.addr) { bytes -> IPAddress in
            hook.addressFamily == .inet ? .v4(IPv4Address(networkBytes: bytes.prefix(4))) : .v6(IPv6Address(networkBytes: bytes))
        }
        return TraceSocketCall(
            hook: hook, timeNs: wallClock(record.time_ns), pid: Int32(bitPattern: record.tgid),
            tid: Int32(bitPattern: record.tid), comm: Self.string(record.comm), uid: record.uid,
            cgroupID: record.cgroup_id, cookie: record.cookie, socketFamily: family,
            transport: TransportProtocol(ipProtocolNumber: Int(record.protocol)), hookAddress: address,
            port: Port(record.port))
    }

    func decodeEgress(_ record: sockdiag_egress_event, isFinal: Bool) -> TraceEgress? {
        guard let family = AddressFamily(rawSocketFamily: Int(record.socket_family)),
              let wire = TraceWireProtocol(etherType: record.wire_protocol) else { return nil }
        func address(_ tuple: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                               UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> IPAddress {
            withUnsafeBytes(of: tuple) { bytes in
                wire == .ipv4 ? .v4(IPv4Address(networkBytes: bytes.prefix(4))) : .v6(IPv6Address(networkBytes: bytes))
            }
        }
        return TraceEgress(
            cookie: record.cookie, timeNs: wallClock(record.time_ns), pid: nil, comm: nil, socketFamily: family,
            wireProtocol: wire, transport: TransportProtocol(ipProtocolNumber: Int(record.ip_protocol)),
            local: SocketAddress(address(record.local_addr), Port(record.local_port)),
            remote: SocketAddress(address(record.remote_addr), Port(record.remote_port)),
            packets: record.packets, bytes: record.bytes, isFinal: isFinal)
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { bytes in
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }
}
