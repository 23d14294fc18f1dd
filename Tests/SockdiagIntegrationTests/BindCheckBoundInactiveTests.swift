import Foundation
import XCTest
import SockdiagCore
import SockdiagSystem

/// A TCP socket bound without listen(): invisible to /proc/net and to ss -a, yet it makes binds
/// fail. sock_diag lists it since Linux 6.7 when asked for TCPF_BOUND_INACTIVE.
final class BindCheckBoundInactiveTests: XCTestCase {
    var fd: Int32 = -1

    override func setUpWithError() throws { try requirePrivileges() }
    override func tearDown() { if fd >= 0 { close(fd) } }

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
