import Foundation
import SockdiagCore
import SockdiagSystem

/// Where the kernel put one client's connection (or datagram).
enum TruthArrival: Hashable {
    case refused
    /// connect() itself fails on this host (no route, no such local address).
    case unreachable(String)
    case socket(UInt64)
    /// Neither refused nor received in time: the lab itself is broken.
    case lost(String)
}

extension TruthLab {
    /// One client, local (namespace A) or remote (namespace B, across the veth), to
    /// `destination`:`port`; `receivers` are every socket that might get it.
    func deliver(_ transport: TransportProtocol, to destination: IPAddress, port: SockdiagCore.Port, remote: Bool,
                 receivers: [TruthSocket]) -> TruthArrival {
        let client: Int32 = remote ? inB { connectClient(transport, destination, port) } : connectClient(transport, destination, port)
        if client == -2 { return .refused }
        if client < 0 { return .unreachable(Errno(-client).name) }
        defer { TruthSys.closeAtOnce(client) }
        if transport == .udp {
            var byte: UInt8 = 1
            guard send(client, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 else { return .refused }
        }
        var fds = receivers.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        if transport == .udp { fds.append(pollfd(fd: client, events: Int16(POLLIN), revents: 0)) }
        var waited = 0
        while waited < 2000 {
            let n = poll(&fds, nfds_t(fds.count), 50)
            waited += 50
            guard n > 0 else { continue }
            if transport == .udp, fds.last!.revents & Int16(POLLERR) != 0 { return .refused }
            for (i, p) in fds.enumerated() where i < receivers.count && p.revents & Int16(POLLIN) != 0 {
                if transport == .tcp {
                    let child = accept(p.fd, nil, nil)
                    if child >= 0 { TruthSys.closeAtOnce(child) }
                } else {
                    var buffer = [UInt8](repeating: 0, count: 16)
                    while recv(p.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
                }
                return .socket(receivers[i].inode)
            }
        }
        return .lost("no socket got it within 2 s")
    }

    /// A connected client descriptor; -2 when the connection is refused, -errno on another failure.
    private func connectClient(_ transport: TransportProtocol, _ destination: IPAddress, _ port: SockdiagCore.Port) -> Int32 {
        let fd = TruthSys.socket(destination.family, transport)
        guard fd >= 0 else { return -Errno(errno).rawValue }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if SocketAddress(destination, port).withSockaddr({ connect(fd, $0, $1) }) != 0 {
            let e = errno
            Glibc.close(fd)
            return e == ECONNREFUSED ? -2 : -e
        }
        return fd
    }

    /// Checks a predicted reception against real clients: a refusal refuses every client, one
    /// receiver gets every client, and a group of several gets every client and spreads them
    /// over all of its members. nil when the kernel agrees, else what it did.
    func verify(_ reception: BindCheckReception, _ transport: TransportProtocol, to destination: IPAddress, port: SockdiagCore.Port,
                remote: Bool, receivers: [TruthSocket], newSocket: UInt64?, name: (UInt64) -> String) -> String? {
        func inode(_ id: BindCheckReceiverID) -> UInt64 {
            switch id {
            case let .existing(inode): return inode
            case .newSocket: return newSocket ?? 0
            }
        }
        let expected = Set(reception.receivers.map(inode))
        var arrivals: [TruthArrival] = []
        let (minimum, maximum) = expected.count > 1 ? (expected.count, 48) : (expected.isEmpty ? 2 : 4, expected.isEmpty ? 2 : 4)
        if case .unreachable = reception {
            let arrival = deliver(transport, to: destination, port: port, remote: remote, receivers: receivers)
            if case .unreachable = arrival { return nil }
            return describe(reception, expected, [arrival], name)
        }
        var seen: Set<UInt64> = []
        for _ in 0..<maximum {
            let arrival = deliver(transport, to: destination, port: port, remote: remote, receivers: receivers)
            arrivals.append(arrival)
            switch arrival {
            case .refused where expected.isEmpty: break
            case let .socket(i) where expected.contains(i): seen.insert(i)
            default: return describe(reception, expected, arrivals, name)
            }
            if arrivals.count >= minimum && (expected.count <= 1 || seen == expected) { return nil }
        }
        return describe(reception, expected, arrivals, name)
    }

    private func describe(_ reception: BindCheckReception, _ expected: Set<UInt64>, _ arrivals: [TruthArrival],
                          _ name: (UInt64) -> String) -> String {
        let model: String
        switch reception {
        case .refused: model = "refused"
        case .unreachable: model = "unreachable"
        case .one: model = "one " + expected.map(name).joined()
        case .oneOf: model = "one of " + expected.map(name).sorted().joined(separator: ",")
        }
        let kernel = arrivals.map { a -> String in
            switch a {
            case .refused: return "refused"
            case let .unreachable(e): return "unreachable (\(e))"
            case let .socket(i): return name(i)
            case let .lost(why): return "lost (\(why))"
            }
        }
        return "model \(model); kernel \(kernel.joined(separator: ","))"
    }
}
