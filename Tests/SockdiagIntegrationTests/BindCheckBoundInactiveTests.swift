import Foundation
import XCTest
import SockdiagCore
import SockdiagSystem
import SockdiagBPF

/// A TCP socket bound without listen(): invisible to /proc/net and to ss -a, yet it makes binds
/// fail. sock_diag lists it since Linux 6.7 when asked for TCPF_BOUND_INACTIVE.
final class BindCheckBoundInactiveTests: XCTestCase {
    var fd: Int32 = -1
    var others: [Int32] = []

    override func setUpWithError() throws { try requirePrivileges() }
    override func tearDown() {
        if fd >= 0 { close(fd) }
        others.forEach { close($0) }
    }

    /// Binds 127.0.0.1:`port` in this process and does not listen.
    func bindOnly(_ port: Int) -> UInt64 {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(port).bigEndian
        sin.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(rc, 0)
        var info = stat()
        fstat(fd, &info)
        return UInt64(info.st_ino)
    }

    func testBoundButNotListeningSocketIsShownAndNamedAsTheConflict() throws {
        let port = try BindCheckPorts.free(46440)
        let inode = bindOnly(port)
        let kernelSays = BindCheckTrialBinder.run(BindCheckTrialRequest(address: .v4(.loopback), port: Port(UInt16(port)), transport: .tcp,
                                                                        v6only: nil, reuseaddr: false, reuseport: false))
        XCTAssertEqual(kernelSays.errno, .addressInUse, "the kernel refuses the bind")

        let result = try Sockdiag.run(["bind-check", "--json", "127.0.0.1", String(port)])
        let doc = try XCTUnwrap(result.json as? [String: Any], result.stderr)
        let sockets = doc["sockets"] as? [[String: Any]] ?? []
        let mine = try XCTUnwrap(sockets.first { $0["inode"] as? Int == Int(inode) }, "\(sockets)")
        XCTAssertEqual(mine["state"] as? String, "BOUND-INACTIVE")
        XCTAssertEqual((mine["owners"] as? [[String: Any]])?.first?["pid"] as? Int, Int(getpid()))
        let plain = (doc["trials"] as? [[String: Any]])?.first { $0["reuseaddr"] as? Bool == false && $0["reuseport"] as? Bool == false }
        XCTAssertEqual(plain?["result"] as? String, "EADDRINUSE")
        XCTAssertEqual(plain?["conflicts"] as? [Int], [Int(inode)])
        XCTAssertTrue((doc["verdict"] as? String ?? "").contains("127.0.0.1:\(port) (BOUND-INACTIVE"), doc["verdict"] as? String ?? "")
    }

    /// bind-check takes bound-inactive sockets from its BPF walk of every process's files, so that
    /// the sock_diag dump need not walk the kernel's whole bind hash; both must list the same
    /// sockets: AF_INET, a dual-stack [::] with SO_REUSEADDR, a V6ONLY [::1], and a second
    /// process's socket (owner and uid from the walk).
    func testTheBPFWalkListsTheSameBoundInactiveSocketsAsSockDiag() throws {
        let port = try BindCheckPorts.free(46442)
        _ = bindOnly(port)
        func bind6(_ address: in6_addr, v6only: Int32, reuseaddr: Int32) {
            let s = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            others.append(s)
            var on = v6only, reuse = reuseaddr
            setsockopt(s, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(4))
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(4))
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = UInt16(port).bigEndian
            sin6.sin6_addr = address
            let rc = withUnsafePointer(to: &sin6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
            XCTAssertEqual(rc, 0, String(cString: strerror(errno)))
        }
        bind6(in6addr_loopback, v6only: 1, reuseaddr: 0)
        // A second process holding one: nobody's fd in this process.
        let holder = Process(), input = Pipe(), output = Pipe()
        let ready = try holder.startAndReadFirstLine(["python3", "-c", """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.2", \(port)))
            print("ready", flush=True)
            sys.stdin.read()
            """], input: input, output: output)
        defer {
            try? input.fileHandleForWriting.close()
            holder.waitUntilExit()
        }
        XCTAssertTrue(ready.hasPrefix("ready"), ready)

        let filter = BindCheckPortFilter.port(Port(UInt16(port)))
        let dumped = try BindCheckNetlink.dump(.tcp, filter: filter, boundInactive: .only)
        let inventory = try XCTUnwrap(SockoptIterator.inventory(port: UInt16(port)), "the BPF socket iterator runs here")
        let netns = try XCTUnwrap(BindCheckNamespace.currentInode())
        let walked = try XCTUnwrap(inventory.boundInactive(port: UInt16(port), netns: netns), "the walk sees every process")
        func key(_ s: BindCheckSocket) -> String { "\(s.family) \(s.local) v6only=\(String(describing: s.v6only)) uid=\(s.uid) inode=\(s.inode) \(s.state)" }
        XCTAssertEqual(dumped.count, 3, "\(dumped.map(key))")
        XCTAssertEqual(Set(walked.map(key)), Set(dumped.map(key)))
        XCTAssertTrue(try BindCheckNetlink.dump(.tcp, filter: filter, boundInactive: .excluded).isEmpty,
                      "without TCPF_BOUND_INACTIVE the dump lists none of them")
        // Another namespace's view is not this one's.
        XCTAssertEqual(inventory.boundInactive(port: UInt16(port), netns: netns &+ 1)?.count, 0)

        // The command lists all three with their owners, from the walk.
        let result = try Sockdiag.run(["bind-check", "--json", "127.0.0.1", String(port)])
        let doc = try XCTUnwrap(result.json as? [String: Any], result.stderr)
        let listed = (doc["sockets"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "BOUND-INACTIVE" }
        XCTAssertEqual(Set(listed.compactMap { $0["inode"] as? Int }), Set(dumped.map { Int($0.inode) }))
        let python = listed.first { $0["local_address"] as? String == "127.0.0.2" }
        XCTAssertEqual((python?["owners"] as? [[String: Any]])?.first?["pid"] as? Int, Int(holder.processIdentifier), "\(listed)")
    }

    /// From /proc/net the same socket is invisible: the unexplained EADDRINUSE names the likely cause.
    func testFromProcTheLikelyCauseIsNamed() throws {
        let port = try BindCheckPorts.free(46441)
        _ = bindOnly(port)
        let query = BindCheckQuery(address: .v4(.loopback), port: Port(UInt16(port)), transport: .tcp)
        let sockets = try BindCheckProcScanner.scan(.tcp, filter: .port(query.port))
        XCTAssertTrue(sockets.isEmpty, "/proc/net does not list a socket that only bound: \(sockets)")
        let trials = BindCheckTrialRequest.all(for: query).map(BindCheckTrialBinder.run)
        let report = BindCheckReport.analyze(BindCheckObservation(query: query, system: BindCheckSystemReader.read(), source: .proc,
                                                                  sockets: sockets, trials: trials, trialUID: geteuid(), netns: nil))
        let plain = try XCTUnwrap(report.trials.first { !$0.outcome.request.reuseaddr && !$0.outcome.request.reuseport })
        XCTAssertEqual(plain.outcome.errno, .addressInUse)
        XCTAssertTrue(plain.notes.contains { $0.contains("most likely a TCP socket bound to the port without listen()") && $0.contains("/proc/net never lists those") }, "\(plain.notes)")
        XCTAssertTrue(report.verdict.contains("without listen()"), report.verdict)
    }
}
