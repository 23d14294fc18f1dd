import Foundation
import SockdiagCore
import SockdiagSystem

/// Where a holder binds.
enum TruthAddress: String, CaseIterable {
    case v4Loopback = "127.0.0.1", v4Second = "127.0.0.2", v4Any = "0.0.0.0", v4Veth = "10.203.0.1"
    case v6AnyDual = "[::] v6only=0", v6AnyOnly = "[::] v6only=1", v6Loopback = "[::1]"
    case v6Mapped = "[::ffff:127.0.0.1]", v6Veth = "[fd00:203::1]"

    var address: IPAddress {
        switch self {
        case .v4Loopback: return .v4(.loopback)
        case .v4Second: return .v4(IPv4Address(127, 0, 0, 2))
        case .v4Any: return .v4(.any)
        case .v4Veth: return .v4(TruthLab.v4A)
        case .v6AnyDual, .v6AnyOnly: return .v6(.any)
        case .v6Loopback: return .v6(.loopback)
        case .v6Mapped: return .v6(IPv6Address(mapping: .loopback))
        case .v6Veth: return .v6(TruthLab.v6A)
        }
    }

    var v6only: Bool? {
        switch self {
        case .v6AnyDual, .v6Mapped: return false
        case .v6AnyOnly, .v6Loopback, .v6Veth: return true
        default: return nil
        }
    }
}

enum TruthDevice: String { case lo, veth }

/// One socket of a holder set, as generated.
struct TruthHolder: Hashable {
    var address: TruthAddress
    var reuseaddr = false
    var reuseport = false
    var device: TruthDevice?
    var uid: UInt32 = 0
    /// UDP: connect()ed after the bind (to the loopback discard port), so it takes no new clients.
    var connected = false

    var label: String {
        var parts = [address.rawValue]
        if reuseaddr { parts.append("reuseaddr") }
        if reuseport { parts.append("reuseport") }
        if let device { parts.append("dev=\(device.rawValue)") }
        if uid != 0 { parts.append("uid=\(uid)") }
        if connected { parts.append("connected") }
        return parts.joined(separator: " ")
    }
}

/// What the generator may produce; the differential test widens it as the model learns rules.
struct TruthScope {
    var devices: [TruthDevice?] = [nil, .lo, .veth]
    var addresses = TruthAddress.allCases
    var transports: [TransportProtocol] = [.tcp, .udp]
    var otherUIDs = true
    var connectedUDP = true
}

/// One generated case: a transport, holders in the order they try to bind (and listen), a query.
struct TruthCase {
    let index: Int
    let transport: TransportProtocol
    let holders: [TruthHolder]
    let query: TruthAddress

    var queryAddress: IPAddress { query.address }

    var label: String {
        "\(transport.rawValue) holders [\(holders.map(\.label).joined(separator: "; "))] bind-check \(query.address)"
    }

    static func generate(seed: UInt64, count: Int, scope: TruthScope) -> [TruthCase] {
        var random = TruthRandom(state: seed)
        return (0..<count).map { index in
            let transport = scope.transports[Int(random.next() % UInt64(scope.transports.count))]
            let size = 1 + Int(random.next() % 4)
            let holders = (0..<size).map { _ -> TruthHolder in
                var h = TruthHolder(address: scope.addresses[Int(random.next() % UInt64(scope.addresses.count))])
                let flags = random.next() % 4
                h.reuseaddr = flags & 1 != 0
                h.reuseport = flags & 2 != 0
                // Mostly unbound; a device now and then.
                if random.next() % 4 == 0 { h.device = scope.devices[Int(random.next() % UInt64(scope.devices.count))] }
                if scope.otherUIDs && random.next() % 6 == 0 { h.uid = 1000 }
                if transport == .udp && scope.connectedUDP && random.next() % 5 == 0 { h.connected = true }
                return h
            }
            let queries: [TruthAddress] = [.v4Any, .v4Loopback, .v4Second, .v6AnyDual, .v6Loopback, .v6Mapped, .v4Veth, .v6Veth]
                .filter { scope.addresses.contains($0) || $0 == .v4Any || $0 == .v6AnyDual }
            let query = queries[Int(random.next() % UInt64(queries.count))]
            return TruthCase(index: index, transport: transport, holders: holders, query: query)
        }
    }
}

/// SplitMix64: a given seed yields the same cases on every machine.
struct TruthRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A socket made for a case, and how its bind went.
struct TruthSocket {
    let fd: Int32
    let inode: UInt64
}

enum TruthBindResult: Equatable, CustomStringConvertible {
    case ok
    case failed(BindCheckTrialStage, Errno)

    var description: String {
        switch self {
        case .ok: return "ok"
        case let .failed(stage, errno): return stage == .bind ? errno.name : "\(errno.name) (\(stage.rawValue))"
        }
    }
}

extension TruthLab {
    /// Makes, binds and (TCP) puts to listen one socket; on failure nothing is left open.
    func open(_ holder: TruthHolder, port: SockdiagCore.Port, transport: TransportProtocol) -> (TruthSocket?, TruthBindResult) {
        let address = holder.address.address
        let fd = TruthSys.socket(address.family, transport, uid: holder.uid)
        guard fd >= 0 else { return (nil, .failed(.socket, Errno(errno))) }
        func fail(_ stage: BindCheckTrialStage) -> (TruthSocket?, TruthBindResult) {
            let e = Errno(errno)
            Glibc.close(fd)
            return (nil, .failed(stage, e))
        }
        if let v6only = holder.address.v6only, !TruthSys.set(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, v6only) { return fail(.setsockopt) }
        if holder.reuseaddr, !TruthSys.set(fd, SOL_SOCKET, SO_REUSEADDR, true) { return fail(.setsockopt) }
        if holder.reuseport, !TruthSys.set(fd, SOL_SOCKET, SO_REUSEPORT, true) { return fail(.setsockopt) }
        if let device = holder.device, !TruthSys.bindToDevice(fd, device == .lo ? "lo" : vethA) { return fail(.setsockopt) }
        guard SocketAddress(address, port).withSockaddr({ bind(fd, $0, $1) }) == 0 else { return fail(.bind) }
        if transport == .tcp, listen(fd, 64) != 0 { return fail(.listen) }
        if holder.connected {
            let peer: IPAddress = address.family == .inet ? .v4(.loopback)
                : address.unmapped.family == .inet || holder.address == .v6AnyDual ? .v6(IPv6Address(mapping: .loopback)) : .v6(.loopback)
            guard SocketAddress(peer, SockdiagCore.Port(9)).withSockaddr({ connect(fd, $0, $1) }) == 0 else { return fail(.bind) }
        }
        return (TruthSocket(fd: fd, inode: TruthSys.inode(fd)), .ok)
    }

    /// The holders of `kase` on `port`, in order; those the kernel refuses are left out (their
    /// attempt still happened, as in the original). nil entries stand for refused holders.
    func build(_ kase: TruthCase, port: SockdiagCore.Port, skipping: Set<Int> = []) -> [TruthSocket?] {
        kase.holders.enumerated().map { i, holder in
            skipping.contains(i) ? nil : open(holder, port: port, transport: kase.transport).0
        }
    }

    func closeAll(_ sockets: [TruthSocket?]) {
        for s in sockets.compactMap({ $0 }) { Glibc.close(s.fd) }
    }

    /// A trial-like bind: bound, listening for TCP, and closed at once.
    func attempt(_ request: BindCheckTrialRequest, port: SockdiagCore.Port) -> TruthBindResult {
        let fd = TruthSys.socket(request.address.family, request.transport)
        guard fd >= 0 else { return .failed(.socket, Errno(errno)) }
        defer { Glibc.close(fd) }
        if let v6only = request.v6only, !TruthSys.set(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, v6only) { return .failed(.setsockopt, Errno(errno)) }
        if request.reuseaddr, !TruthSys.set(fd, SOL_SOCKET, SO_REUSEADDR, true) { return .failed(.setsockopt, Errno(errno)) }
        if request.reuseport, !TruthSys.set(fd, SOL_SOCKET, SO_REUSEPORT, true) { return .failed(.setsockopt, Errno(errno)) }
        guard SocketAddress(request.address, port).withSockaddr({ bind(fd, $0, $1) }) == 0 else { return .failed(.bind, Errno(errno)) }
        if request.transport == .tcp, listen(fd, 1) != 0 { return .failed(.listen, Errno(errno)) }
        return .ok
    }

    /// The same, kept open (the program that binds after bind-check ran).
    func bindKept(_ request: BindCheckTrialRequest, port: SockdiagCore.Port) -> TruthSocket? {
        let fd = TruthSys.socket(request.address.family, request.transport)
        guard fd >= 0 else { return nil }
        if let v6only = request.v6only { _ = TruthSys.set(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, v6only) }
        if request.reuseaddr { _ = TruthSys.set(fd, SOL_SOCKET, SO_REUSEADDR, true) }
        if request.reuseport { _ = TruthSys.set(fd, SOL_SOCKET, SO_REUSEPORT, true) }
        guard SocketAddress(request.address, port).withSockaddr({ bind(fd, $0, $1) }) == 0,
              request.transport == .udp || listen(fd, 64) == 0 else {
            Glibc.close(fd)
            return nil
        }
        return TruthSocket(fd: fd, inode: TruthSys.inode(fd))
    }
}
