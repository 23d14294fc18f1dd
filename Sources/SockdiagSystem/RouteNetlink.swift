#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// NETLINK_ROUTE questions: the route the kernel takes to a destination (RTM_GETROUTE, as
/// `ip route get`), and the addresses of the interfaces with their prefix lengths (RTM_GETADDR).
public enum RouteNetlink {
    static let getRoute: UInt16 = 26, newRoute: UInt16 = 24, getAddress: UInt16 = 22, newAddress: UInt16 = 20
    static let flagRequest: UInt16 = 0x1, flagDump: UInt16 = 0x300
    static let attributeDestination: UInt16 = 1, attributeOutputInterface: UInt16 = 4, attributeGateway: UInt16 = 5,
               attributePreferredSource: UInt16 = 7
    static let addressAttributeAddress: UInt16 = 1, addressAttributeLocal: UInt16 = 2, addressAttributeFlags: UInt16 = 8
    static let addressFlagDeprecated: UInt32 = 0x20

    /// One interface address: what glibc's getaddrinfo learns with RTM_GETADDR for its sort.
    public struct InterfaceAddress: Hashable, Sendable {
        public let address: IPAddress
        public let prefixLength: Int
        public let deprecated: Bool
    }

    /// The error the kernel's route lookup gives for `destination` in the network namespace of
    /// process `pid` (ENETUNREACH: no route at all), as `ip route get` asks it; nil when it finds
    /// a route, or the process is gone. Why a connect failed before its SYN left, when the route
    /// is the reason.
    public static func lookupError(to destination: IPAddress, inNamespaceOf pid: Int32) -> Errno? {
        let namespace = CaptureNamespace(path: "/proc/\(pid)/ns/net", label: "")
        let answer = try? namespace.entered { routes(to: [destination.unmapped])[destination.unmapped] }
        guard let answer, answer.kind == .unreachable, let detail = answer.detail else { return nil }
        return Errno(name: detail)
    }

    /// The route to each destination, with the source prefix length filled in from `addresses`.
    public static func routes(to destinations: [IPAddress]) -> [IPAddress: RouteAnswer] {
        guard let socket = try? NetlinkRouteSocket() else { return [:] }
        let addresses = (try? socket.addresses()) ?? []
        var answers: [IPAddress: RouteAnswer] = [:]
        for destination in destinations {
            answers[destination] = socket.route(to: destination, addresses: addresses)
        }
        return answers
    }
}

/// A NETLINK_ROUTE socket this process owns.
final class NetlinkRouteSocket {
    let socket: NetlinkSocket
    var sequence: UInt32 = 0

    init() throws(SockdiagError) {
        socket = try NetlinkSocket(type: SOCK_RAW, netlinkProtocol: 0 /* NETLINK_ROUTE */,
                                   name: "NETLINK_ROUTE", purpose: "rtnetlink")
    }

    func request(type: UInt16, flags: UInt16, body: [UInt8]) throws(SockdiagError) -> [(type: UInt16, payload: [UInt8])] {
        sequence += 1
        var message: [UInt8] = []
        message.append(le32: UInt32(16 + body.count))
        message.append(le16: type)
        message.append(le16: flags)
        message.append(le32: sequence)
        message.append(le32: 0)
        message += body
        try socket.send(message, context: "rtnetlink")
        var replies: [(type: UInt16, payload: [UInt8])] = []
        // A request without NLM_F_DUMP gets one message.
        try socket.receive(bufferSize: 1 << 16, sequence: sequence,
                           endsAfterBatch: { flags & RouteNetlink.flagDump == 0 && !replies.isEmpty }) { kind, batch, offset, length in
            replies.append((kind, Array(batch[(offset + 16)..<(offset + length)])))
        }
        return replies
    }

    /// `(type, value)` of each route attribute after a fixed header of `headerLength` bytes.
    static func attributes(_ payload: [UInt8], after headerLength: Int) -> [(UInt16, ArraySlice<UInt8>)] {
        var list: [(UInt16, ArraySlice<UInt8>)] = []
        var a = headerLength
        while a + 4 <= payload.count {
            let length = Int(payload.le16(at: a)), type = payload.le16(at: a + 2) & 0x3FFF
            guard length >= 4, a + length <= payload.count else { break }
            list.append((type, payload[(a + 4)..<(a + length)]))
            a += (length + 3) & ~3
        }
        return list
    }

    static func address(_ bytes: ArraySlice<UInt8>) -> IPAddress? {
        switch bytes.count {
        case 4: return .v4(IPv4Address(networkBytes: bytes))
        case 16: return .v6(IPv6Address(networkBytes: bytes))
        default: return nil
        }
    }

    func addresses() throws(SockdiagError) -> [RouteNetlink.InterfaceAddress] {
        // struct ifaddrmsg: family, prefixlen, flags, scope, index.
        let replies = try request(type: RouteNetlink.getAddress, flags: RouteNetlink.flagRequest | RouteNetlink.flagDump,
                                  body: [0, 0, 0, 0, 0, 0, 0, 0])
        return replies.compactMap { reply in
            guard reply.type == RouteNetlink.newAddress, reply.payload.count >= 8 else { return nil }
            let prefix = Int(reply.payload[1])
            var flags = UInt32(reply.payload[2])
            var local: IPAddress?, address: IPAddress?
            for (type, value) in Self.attributes(reply.payload, after: 8) {
                if type == RouteNetlink.addressAttributeLocal { local = Self.address(value) }
                if type == RouteNetlink.addressAttributeAddress { address = Self.address(value) }
                if type == RouteNetlink.addressAttributeFlags && value.count >= 4 { flags = Array(value).le32(at: 0) }
            }
            guard let found = local ?? address else { return nil }
            return RouteNetlink.InterfaceAddress(address: found, prefixLength: prefix, deprecated: flags & RouteNetlink.addressFlagDeprecated != 0)
        }
    }

    func route(to destination: IPAddress, addresses: [RouteNetlink.InterfaceAddress]) -> RouteAnswer {
        let bytes: [UInt8], family: UInt8
        switch destination {
        case let .v4(a): (bytes, family) = (a.octets, UInt8(AF_INET))
        case let .v6(a): (bytes, family) = (a.bytes, UInt8(AF_INET6))
        }
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
        var body: [UInt8] = [family, UInt8(bytes.count * 8), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        body.append(le16: UInt16(4 + bytes.count))
        body.append(le16: RouteNetlink.attributeDestination)
        body += bytes
        if case let .v6(a) = destination, let zone = a.zone, case let index = if_nametoindex(zone), index != 0 {
            body.append(le16: 8)
            body.append(le16: RouteNetlink.attributeOutputInterface)
            body.append(le32: index)
        }
        let replies: [(type: UInt16, payload: [UInt8])]
        do {
            replies = try request(type: RouteNetlink.getRoute, flags: RouteNetlink.flagRequest, body: body)
        } catch {
            if case let .system(_, errno, _) = error { return RouteAnswer(kind: .unreachable, detail: errno.name) }
            return RouteAnswer(kind: .unreachable, detail: error.description)
        }
        guard let reply = replies.first(where: { $0.type == RouteNetlink.newRoute }), reply.payload.count >= 12 else {
            return RouteAnswer(kind: .unreachable, detail: "no answer")
        }
        var interface: String?, gateway: IPAddress?, source: IPAddress?
        for (type, value) in Self.attributes(reply.payload, after: 12) {
            switch type {
            case RouteNetlink.attributeOutputInterface where value.count >= 4:
                if let name = NetworkInterface.name(ofIndex: Array(value).le32(at: 0)) { interface = name }
            case RouteNetlink.attributeGateway: gateway = Self.address(value)
            case RouteNetlink.attributePreferredSource: source = Self.address(value)
            default: break
            }
        }
        let found = source.flatMap { s in addresses.first { $0.address == s } }
        switch reply.payload[7] {
        case 2: // RTN_LOCAL
            return RouteAnswer(kind: .local, interface: interface, source: source ?? destination, sourcePrefixLength: found?.prefixLength)
        case 1: // RTN_UNICAST
            return RouteAnswer(kind: .unicast, interface: interface, gateway: gateway, source: source, sourcePrefixLength: found?.prefixLength)
        case 6: return RouteAnswer(kind: .unreachable, interface: interface, detail: "blackhole route")
        case 7: return RouteAnswer(kind: .unreachable, interface: interface, detail: "unreachable route")
        case 8: return RouteAnswer(kind: .unreachable, interface: interface, detail: "prohibit route")
        case let type: return RouteAnswer(kind: .unreachable, interface: interface, detail: "route type \(type)")
        }
    }
}
