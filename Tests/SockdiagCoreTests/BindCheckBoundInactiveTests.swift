import XCTest
@testable import SockdiagCore

/// A TCP socket that bound the port without listen() blocks binds; where the socket list cannot
/// show it, the unexplained EADDRINUSE names it as the likely cause.
final class BindCheckBoundInactiveTests: XCTestCase {
    func notes(source: BindCheckSource, kernel: String, transport: TransportProtocol = .tcp) -> [String] {
        let system = BindCheckSystem(bindv6only: false, ipv6Disabled: false, ipv4Addresses: [.loopback], ipv6Addresses: [.loopback],
                                     ephemeralRange: 32768...60999, reservedPorts: "", unprivilegedPortStart: 1024, kernel: kernel)
        let query = BindCheckQuery(address: .v4(.loopback), port: Port(45000), transport: transport)
        let trials = BindCheckTrialRequest.all(for: query).map {
            BindCheckTrialOutcome(request: $0, result: .failure(BindCheckTrialFailure(stage: .bind, errno: .addressInUse)))
        }
        let report = BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: source, sockets: [],
                                                                  trials: trials, trialUID: 0, netns: nil))
        return report.trials.first { !$0.outcome.request.reuseaddr && !$0.outcome.request.reuseport }?.notes ?? []
    }

    func testUnexplainedConflictNamesABoundButNotListeningSocketWhereTheListCannotShowIt() {
        let old = notes(source: .netlink, kernel: "6.1.0-18-amd64")
        XCTAssertTrue(old.contains { $0.contains("most likely a TCP socket bound to the port without listen()") && $0.contains("only since Linux 6.7") && $0.contains("6.1.0-18-amd64") }, "\(old)")
        let proc = notes(source: .proc, kernel: "6.18.44")
        XCTAssertTrue(proc.contains { $0.contains("without listen()") && $0.contains("/proc/net never lists those") }, "\(proc)")
        let shown = notes(source: .netlink, kernel: "6.7.0")
        XCTAssertTrue(shown.contains { $0.hasPrefix("no visible socket explains the conflict (") }, "sock_diag shows them on 6.7: \(shown)")
        XCTAssertFalse(notes(source: .proc, kernel: "6.1.0", transport: .udp).contains { $0.contains("listen()") }, "UDP sockets are always listed")
    }

    func testKernelRelease() {
        func release(_ text: String) -> [Int]? {
            var system = BindCheckSystem(bindv6only: false, ipv6Disabled: false, ipv4Addresses: [], ipv6Addresses: [],
                                         ephemeralRange: nil, reservedPorts: "", unprivilegedPortStart: nil)
            system.kernel = text
            return system.kernelRelease.map { [$0.0, $0.1] }
        }
        XCTAssertEqual(release("6.18.44-fc-v782"), [6, 18])
        XCTAssertEqual(release("5.10.0"), [5, 10])
        XCTAssertNil(release(""))
        XCTAssertNil(release("unknown"))
    }
}
