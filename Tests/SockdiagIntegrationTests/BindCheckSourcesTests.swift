import Foundation
import XCTest
import SockdiagCore
import SockdiagSystem

/// NETLINK_SOCK_DIAG and /proc/net must list the same sockets, and the owner lookups must agree.
final class BindCheckSourcesTests: XCTestCase {
    /// Sockets made by this test process: a dual-stack listener, an IPv4 listener on another
    /// address family slot, a V6ONLY listener, and one accepted connection.
    final class Fixture {
        var fds: [Int32] = []

        func listener(_ family: Int32, _ address: String, _ port: UInt16, v6only: Bool? = nil, type: Int32 = Int32(SOCK_STREAM.rawValue)) throws -> Int32 {
            let fd = socket(family, type, 0)
            guard fd >= 0 else { throw POSIXError(.EINVAL) }
            fds.append(fd)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            if let v6only { var value: Int32 = v6only ? 1 : 0; setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &value, 4) }
            var storage = sockaddr_storage()
            let length: Int
            if family == AF_INET {
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = port.bigEndian
                inet_pton(AF_INET, address, &sin.sin_addr)
                withUnsafeBytes(of: sin) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
                length = MemoryLayout<sockaddr_in>.size
            } else {
                var sin6 = sockaddr_in6()
                sin6.sin6_family = sa_family_t(AF_INET6)
                sin6.sin6_port = port.bigEndian
                inet_pton(AF_INET6, address, &sin6.sin6_addr)
                withUnsafeBytes(of: sin6) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
                length = MemoryLayout<sockaddr_in6>.size
            }
            let bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
            }
            guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL) }
            if type == Int32(SOCK_STREAM.rawValue) { listen(fd, 8) }
            return fd
        }

        func connect(to port: UInt16) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            fds.append(fd)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            // A loopback connect is instant; bound it so a disturbed lo fails the test instead of
            // leaving it in SYN retransmits for minutes.
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard rc == 0 else {
                throw HolderError(description: "connect to 127.0.0.1:\(port) failed: errno \(errno) (loopback traffic dropped?)")
            }
        }

        deinit { fds.forEach { close($0) } }
    }

    struct Key: Hashable { let family: AddressFamily; let state: BindCheckSocketState; let local: SocketAddress; let remote: SocketAddress; let uid: UInt32; let inode: UInt64 }

    func keys(_ sockets: [BindCheckSocket]) -> Set<Key> {
        Set(sockets.map { Key(family: $0.family, state: $0.state, local: $0.local, remote: $0.remote, uid: $0.uid, inode: $0.inode) })
    }

    func testNetlinkAndProcAgreeOnTCP() throws {
        try requirePrivileges()
        let fixture = Fixture()
        let p = UInt16(try BindCheckPorts.free(46120))
        _ = try fixture.listener(AF_INET6, "::ffff:127.0.0.1", p, v6only: false)
        _ = try fixture.listener(AF_INET6, "::", p, v6only: true)
        _ = try fixture.listener(AF_INET, "127.0.0.2", p)
        try fixture.connect(to: p)
        let viaNetlink = try BindCheckNetlink.dump(.tcp, filter: .port(Port(p)))
        let viaProc = try BindCheckProcScanner.scan(.tcp, filter: .port(Port(p)))
        XCTAssertEqual(keys(viaNetlink), keys(viaProc))
        XCTAssertEqual(viaNetlink.count, 4, "three listeners and the accepted connection: \(viaNetlink)")
        XCTAssertTrue(viaNetlink.contains { $0.state == .established && $0.local.address.description == "::ffff:127.0.0.1" },
                      "the accepted IPv4 connection sits on the dual-stack socket, as a mapped address")
        // Only netlink knows IPV6_V6ONLY.
        let wildcard = try XCTUnwrap(viaNetlink.first { $0.local.address.description == "::" })
        XCTAssertEqual(wildcard.v6only, true)
        XCTAssertEqual(viaNetlink.first { $0.local.address.description == "::ffff:127.0.0.1" && $0.state == .listen }?.v6only, false)
        XCTAssertTrue(viaProc.allSatisfy { $0.v6only == nil })
    }

    func testNetlinkAndProcAgreeOnUDPAndPortRanges() throws {
        try requirePrivileges()
        let fixture = Fixture()
        let a = UInt16(try BindCheckPorts.free(46121))
        let b = UInt16(try BindCheckPorts.free(Int(a) + 1))
        _ = try fixture.listener(AF_INET, "127.0.0.1", a, type: Int32(SOCK_DGRAM.rawValue))
        _ = try fixture.listener(AF_INET6, "::", b, v6only: false, type: Int32(SOCK_DGRAM.rawValue))
        let range = BindCheckPortFilter.range(min(a, b)...max(a, b))
        let viaNetlink = try BindCheckNetlink.dump(.udp, filter: range)
        let viaProc = try BindCheckProcScanner.scan(.udp, filter: range)
        XCTAssertEqual(keys(viaNetlink), keys(viaProc))
        XCTAssertEqual(Set(viaNetlink.map(\.local.port.value)).intersection([a, b]), [a, b])
        XCTAssertEqual(viaNetlink.first { $0.family == .inet6 }?.v6only, false)
    }

    func testBPFIteratorAndProcFindTheSameOwners() throws {
        try requirePrivileges()
        let fixture = Fixture()
        let p = UInt16(try BindCheckPorts.free(46123))
        _ = try fixture.listener(AF_INET, "127.0.0.1", p)
        var viaProc = try BindCheckNetlink.dump(.tcp, filter: .port(Port(p)))
        XCTAssertEqual(BindCheckProbe.attachOwners(&viaProc), .procFd)
        let result = try runProgram(Sockdiag.executable.path, ["bind-check", "--json", "127.0.0.1", String(p)])
        let doc = try XCTUnwrap(result.json as? [String: Any])
        XCTAssertEqual(doc["owners_source"] as? String, "bpf_iter")
        let owners = ((doc["sockets"] as? [[String: Any]])?.first?["owners"] as? [[String: Any]])?.compactMap { $0["pid"] as? Int }
        XCTAssertEqual(owners, [Int(getpid())], "the binary's BPF lookup names this test process")
        XCTAssertEqual(viaProc.first?.ownership.owners.map(\.pid), [getpid()])
    }
}
