#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// NETLINK_SOCK_DIAG inet_diag dumps with the local port filtered in the kernel
/// (INET_DIAG_REQ_BYTECODE), so only the sockets on the port cross into user space. Unlike
/// /proc/net it reports IPV6_V6ONLY (INET_DIAG_SKV6ONLY).
public enum BindCheckNetlink {
    static let netlinkSockDiag: Int32 = 4
    static let sockDiagByFamily: UInt16 = 20
    static let requestFlags: UInt16 = 0x1 | 0x300 // NLM_F_REQUEST | NLM_F_DUMP
    static let attributeBytecode: UInt16 = 1
    static let attributeV6only: UInt16 = 11
    static let bytecodeSourceGE: UInt8 = 2
    static let bytecodeSourceLE: UInt8 = 3
    static let bytecodeSourceEQ: UInt8 = 11

    /// Whether a TCP dump lists sockets bound without listen() or connect() (TCPF_BOUND_INACTIVE,
    /// Linux 6.7+; older kernels ignore the flag). Asking for them makes the kernel walk its whole
    /// bind hash after the other tables, which costs as much again on a busy host.
    public enum BoundInactive: Sendable {
        case included, excluded, only
    }

    /// Sockets of both families for `transport` whose local port passes `filter`; `listeningOnly`
    /// asks the kernel for TCP listeners (or unconnected UDP sockets) only.
    public static func dump(_ transport: TransportProtocol, filter: BindCheckPortFilter, listeningOnly: Bool = false,
                            boundInactive: BoundInactive = .included) throws(SockdiagError) -> [BindCheckSocket] {
        let states = self.states(transport, listeningOnly: listeningOnly, boundInactive: boundInactive)
        let socket = try NetlinkSocket(type: SOCK_DGRAM, netlinkProtocol: netlinkSockDiag,
                                       name: "NETLINK_SOCK_DIAG", purpose: "sock_diag dump")
        var sockets: [BindCheckSocket] = []
        // TCP: the older TCPDIAG_GETSOCK request walks the socket tables once for both families,
        // half the kernel time of one sock_diag request per family.
        if transport == .tcp {
            let request = compatRequest(filter: filter, states: states)
            if (try? socket.send(request, context: "sock_diag request")) != nil,
               (try? receive(socket, transport: transport, into: &sockets)) != nil {
                return sockets
            }
            sockets = []
        }
        for family in AddressFamily.allCases {
            try socket.send(request(family: family, transport: transport, filter: filter, states: states),
                            context: "sock_diag request")
            try receive(socket, transport: transport, into: &sockets)
        }
        return sockets
    }

    static let tcpDiagGetSock: UInt16 = 18

    /// States 1-11 as `ss -a` asks (request sockets, NEW_SYN_RECV, are left out as ss does), plus
    /// TCPF_BOUND_INACTIVE (1 << 13) as asked; listeners (or unconnected UDP sockets) alone with
    /// `listeningOnly`.
    static func states(_ transport: TransportProtocol, listeningOnly: Bool, boundInactive: BoundInactive) -> UInt32 {
        if listeningOnly { return transport == .tcp ? 1 << 10 : 1 << 7 }
        guard transport == .tcp else { return 0xFFF }
        switch boundInactive {
        case .included: return 0xFFF | 1 << 13
        case .excluded: return 0xFFF
        case .only: return 1 << 13
        }
    }

    /// `struct inet_diag_req` (family, address lengths, extensions, id, states, dbs) with the same
    /// filter; the kernel answers for both families.
    static func compatRequest(filter: BindCheckPortFilter, states: UInt32) -> [UInt8] {
        var body: [UInt8] = [UInt8(AF_INET), 0, 0, 0]
        body += sockid(filter)
        body.append(le32: states)
        body.append(le32: 0)
        return message(type: tcpDiagGetSock, body: body + bytecodeAttribute(filter))
    }

    static func sockid(_ filter: BindCheckPortFilter) -> [UInt8] {
        // A source port here lets the kernel skip other sockets before running the bytecode.
        var id = [UInt8](repeating: 0, count: 48)
        if case let .port(port) = filter {
            id[0] = UInt8(port.value >> 8)
            id[1] = UInt8(truncatingIfNeeded: port.value)
        }
        return id
    }

    static func bytecodeAttribute(_ filter: BindCheckPortFilter) -> [UInt8] {
        let bytecode = self.bytecode(filter)
        guard !bytecode.isEmpty else { return [] }
        var attribute: [UInt8] = []
        attribute.append(le16: UInt16(4 + bytecode.count))
        attribute.append(le16: attributeBytecode)
        return attribute + bytecode
    }

    static func message(type: UInt16, body: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        message.append(le32: UInt32(16 + body.count))
        message.append(le16: type)
        message.append(le16: requestFlags)
        message.append(le32: 1) // sequence
        message.append(le32: 0)
        return message + body
    }

    static func request(family: AddressFamily, transport: TransportProtocol, filter: BindCheckPortFilter,
                        states: UInt32) -> [UInt8] {
        var body: [UInt8] = []
        body.append(UInt8(family.socketFamilyValue))
        body.append(UInt8(transport.ipProtocolNumber))
        body.append(0) // idiag_ext
        body.append(0)
        body.append(le32: states)
        body += sockid(filter)
        return message(type: sockDiagByFamily, body: body + bytecodeAttribute(filter))
    }

    /// inet_diag bytecode: each op is {code, yes, no}, and a port comparison carries its port in
    /// the `no` of a second op. Jumping exactly to the end accepts; past it by 4 rejects.
    static func bytecode(_ filter: BindCheckPortFilter) -> [UInt8] {
        func op(_ code: UInt8, yes: UInt8, no: UInt16) -> [UInt8] {
            var b: [UInt8] = [code, yes]
            b.append(le16: no)
            return b
        }
        switch filter {
        case .any:
            return []
        case let .port(port):
            return op(bytecodeSourceEQ, yes: 8, no: 12) + op(0, yes: 0, no: port.value)
        case let .range(range):
            return op(bytecodeSourceGE, yes: 8, no: 20) + op(0, yes: 0, no: range.lowerBound)
                + op(bytecodeSourceLE, yes: 8, no: 12) + op(0, yes: 0, no: range.upperBound)
        }
    }

    private static func receive(_ socket: borrowing NetlinkSocket, transport: TransportProtocol,
                                into sockets: inout [BindCheckSocket]) throws(SockdiagError) {
        try socket.receive(bufferSize: 1 << 17) { _, batch, offset, length in
            if var socket = parse(batch, offset: offset, length: length, transport: transport) {
                // The dump walks the kernel's hash chains: their order decides lookups.
                socket.walkOrder = sockets.count
                sockets.append(socket)
            }
        }
    }

    /// One inet_diag_msg and its attributes.
    static func parse(_ b: [UInt8], offset: Int, length: Int, transport: TransportProtocol) -> BindCheckSocket? {
        let m = offset + 16
        guard length >= 16 + 72, let family = AddressFamily(rawSocketFamily: Int(b[m])) else { return nil }
        let rawState = b[m + 1] == 12 ? 3 : b[m + 1] // a request socket is SYN-RECV, as /proc shows it
        guard let state = BindCheckSocketState(rawValue: rawState) else { return nil }
        let sport = UInt16(b[m + 4]) << 8 | UInt16(b[m + 5])
        let dport = UInt16(b[m + 6]) << 8 | UInt16(b[m + 7])
        func address(_ at: Int) -> IPAddress {
            family == .inet ? .v4(IPv4Address(networkBytes: b[at..<(at + 4)])) : .v6(IPv6Address(networkBytes: b[at..<(at + 16)]))
        }
        let local = SocketAddress(address(m + 8), Port(sport))
        let remote = SocketAddress(address(m + 24), Port(dport))
        let deviceIndex = b.le32(at: m + 40)
        let uid = b.le32(at: m + 64)
        let inode = UInt64(b.le32(at: m + 68))
        var v6only: Bool?
        var a = m + 72
        while a + 4 <= offset + length {
            let attrLength = Int(b.le16(at: a)), attrType = b.le16(at: a + 2) & 0x3FFF
            guard attrLength >= 4, a + attrLength <= offset + length else { break }
            if attrType == attributeV6only && attrLength >= 5 { v6only = b[a + 4] != 0 }
            a += (attrLength + 3) & ~3
        }
        var socket = BindCheckSocket(family: family, transport: transport, state: state, local: local, remote: remote,
                                     v6only: family == .inet6 ? v6only : nil, uid: uid, inode: inode)
        if deviceIndex != 0 { socket.dumpedDevice = BindCheckSystemReader.interfaces.name(deviceIndex) ?? "if\(deviceIndex)" }
        return socket
    }
}

extension Array where Element == UInt8 {
    mutating func append(le16 value: UInt16) {
        append(UInt8(truncatingIfNeeded: value)); append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func append(le32 value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    func le16(at i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }

    func le32(at i: Int) -> UInt32 {
        UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
}
