import Foundation
import XCTest

/// The port's bind bucket and its fast-reuse marks: bind-check must leave them as it found them,
/// and explain a bind they let through (ports 46550-46599).
final class BindCheckFastReuseTests: XCTestCase {
    func report(_ args: [String]) throws -> [String: Any] {
        let result = try Sockdiag.run(["bind-check", "--json"] + args)
        return try XCTUnwrap(result.json as? [String: Any], result.stderr)
    }

    func trial(_ doc: [String: Any], v6only: Bool?, reuseport: Bool) -> [String: Any]? {
        (doc["trials"] as? [[String: Any]])?.first {
            ($0["v6only"] as? Bool) == v6only && ($0["reuseport"] as? Bool) == reuseport && ($0["reuseaddr"] as? Bool) == false
        }
    }

    /// A dual-stack `[::]` SO_REUSEPORT bind, the one a fast-reuse mark can wave through.
    func dualStackReuseportBind(_ port: Int) -> Int32 {
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var zero: Int32 = 0, one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, 4)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, 4)
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        return bound == 0 ? 0 : errno
    }

    /// `[::]` IPV6_V6ONLY=1 SO_REUSEPORT, then 127.0.0.2 plain: a real IPV6_V6ONLY=1 SO_REUSEPORT
    /// trial would succeed and mark the bucket with `[::]`, after which a dual-stack SO_REUSEPORT
    /// bind skips the conflict check with 127.0.0.2 and succeeds. bind-check predicts that trial
    /// instead, and the dual-stack bind fails after it as before.
    func testBindCheckLeavesTheFastReuseMarkAsItFoundIt() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46550)
        let v6only = try BindCheckHolder("::", p, v6only: true, reuseport: true)
        let second = try BindCheckHolder("127.0.0.2", p)
        defer { v6only.stop(); second.stop() }
        XCTAssertEqual(dualStackReuseportBind(p), EADDRINUSE, "before bind-check")
        let doc = try report(["::", String(p)])
        XCTAssertEqual(dualStackReuseportBind(p), EADDRINUSE, "after bind-check: nothing changed")
        let predicted = try XCTUnwrap(trial(doc, v6only: true, reuseport: true))
        XCTAssertEqual(predicted["tried"] as? Bool, false)
        XCTAssertEqual(predicted["result"] as? String, "ok")
        let notes = predicted["notes"] as? [String] ?? []
        XCTAssertTrue(notes.contains { $0.hasPrefix("predicted, not tried: a real SO_REUSEPORT trial would leave the port's bind bucket marked for fast reuse") }, "\(notes)")
        let plain = try XCTUnwrap(trial(doc, v6only: false, reuseport: false))
        XCTAssertEqual(plain["tried"] as? Bool, true, "a failing trial leaves no mark: it is made")
        XCTAssertEqual(plain["result"] as? String, "EADDRINUSE")
    }

    /// 127.0.0.2 plain, then `[::]` IPV6_V6ONLY=1 SO_REUSEPORT: the second bind leaves the bucket
    /// marked, so a dual-stack SO_REUSEPORT bind succeeds although it overlaps 127.0.0.2. The
    /// trial says why instead of "the rules predict a conflict, yet the kernel allowed it".
    func testABindTheMarkLetsThroughIsExplained() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46551)
        let second = try BindCheckHolder("127.0.0.2", p)
        let v6only = try BindCheckHolder("::", p, v6only: true, reuseport: true)
        defer { v6only.stop(); second.stop() }
        let doc = try report(["::", String(p)])
        let dual = try XCTUnwrap(trial(doc, v6only: false, reuseport: true))
        XCTAssertEqual(dual["result"] as? String, "ok")
        let notes = dual["notes"] as? [String] ?? []
        XCTAssertTrue(notes.contains { $0.contains("marked for fast reuse") && $0.contains("skipped the conflict check") }, "\(notes)")
        XCTAssertFalse(notes.contains { $0.contains("yet the kernel allowed") }, "\(notes)")
        XCTAssertEqual(dualStackReuseportBind(p), 0, "the kernel agrees")
    }

    /// UDP: 127.0.0.1 plain, then 127.0.0.1 SO_REUSEPORT (both SO_REUSEADDR, so they share). A
    /// 127.0.0.1 SO_REUSEPORT trial succeeds: the kernel's check stops at the first overlapping
    /// socket of the port's chain, the SO_REUSEPORT one, and never meets the plain one.
    func testUDPConflictCheckStopsAtTheFirstOverlappingSocket() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46552)
        let plain = try BindCheckHolder("127.0.0.1", p, udp: true, reuseaddr: true)
        let shared = try BindCheckHolder("127.0.0.1", p, udp: true, reuseaddr: true, reuseport: true)
        defer { plain.stop(); shared.stop() }
        let doc = try report(["--udp", "127.0.0.1", String(p)])
        let reuseport = try XCTUnwrap(trial(doc, v6only: nil, reuseport: true))
        XCTAssertEqual(reuseport["result"] as? String, "ok")
        let notes = reuseport["notes"] as? [String] ?? []
        XCTAssertTrue(notes.contains { $0.contains("stops at the first overlapping socket in the port's chain") }, "\(notes)")
        XCTAssertFalse(notes.contains { $0.contains("yet the kernel allowed") }, "\(notes)")
    }
}

/// UDP groups with a connect()ed member (ports 46560-46599).
final class BindCheckConnectedUDPTests: XCTestCase {
    /// A UDP socket on 127.0.0.1:`port` made in this process: SO_REUSEADDR, SO_REUSEPORT and a
    /// device as asked, connect()ed to the loopback discard port when `connected`.
    func udpSocket(_ port: Int, reuseport: Bool, device: String? = nil, connected: Bool = false) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        if reuseport { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, 4) }
        if let device { _ = device.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(device.utf8.count + 1)) } }
        func loopback(_ port: Int) -> sockaddr_in {
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET); a.sin_port = UInt16(port).bigEndian; a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            return a
        }
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        var local = loopback(port), peer = loopback(9)
        XCTAssertEqual(withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }, 0)
        if connected {
            XCTAssertEqual(withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }, 0)
        }
        return fd
    }

    func inode(_ fd: Int32) -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_ino) : -1
    }

    /// 127.0.0.1 bound to lo (plain), then two 127.0.0.1 SO_REUSEPORT sockets, the last one
    /// connect()ed. The group has a connection, so the lookup does not stop at it: it keeps
    /// scoring, and the older socket bound to lo, further down the chain, gets every datagram.
    func testAGroupWithAConnectedMemberDoesNotStopTheLookup() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46560)
        let onLo = udpSocket(p, reuseport: false, device: "lo")
        let member = udpSocket(p, reuseport: true)
        let connected = udpSocket(p, reuseport: true, connected: true)
        defer { [onLo, member, connected].forEach { close($0) } }
        let result = try Sockdiag.run(["bind-check", "--json", "--udp", "127.0.0.1", String(p)])
        let doc = try XCTUnwrap(result.json as? [String: Any], result.stderr)
        let now = try XCTUnwrap((doc["receivers"] as? [[String: Any]])?.first {
            $0["scenario"] as? String == "existing" && $0["client_destination"] as? String == "127.0.0.1"
        })
        XCTAssertEqual(now["receiver"] as? String, "existing", "\(now)")
        XCTAssertEqual(now["inode"] as? Int, inode(onLo), "\(now)")
        // The kernel agrees: every datagram to 127.0.0.1:p reaches the lo-bound socket.
        for _ in 0..<8 {
            let client = udpSocket(0, reuseport: false)
            var target = sockaddr_in()
            target.sin_family = sa_family_t(AF_INET); target.sin_port = UInt16(p).bigEndian; target.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var byte: UInt8 = 1
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(client, &byte, 1, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(client)
            var fds = [onLo, member, connected].map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            XCTAssertEqual(poll(&fds, nfds_t(fds.count), 2000), 1)
            XCTAssertEqual(fds.map { $0.revents & Int16(POLLIN) != 0 }, [true, false, false])
            _ = recv(onLo, &byte, 1, Int32(MSG_DONTWAIT))
        }
    }
}
