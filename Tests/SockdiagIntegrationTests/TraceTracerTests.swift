import Foundation
import SockdiagBPF
import SockdiagCore
import SockdiagSystem
import XCTest

/// The library API other commands build on (compare-wire): attach, poll typed events, totals, detach.
final class TraceTracerTests: XCTestCase {
    func testTracerDeliversTypedEventsAndDetachesCleanly() throws {
        try requirePrivileges()
        let port = TraceFixture.port(5)
        let path = try TraceFixture.makeCgroup("api")
        defer { TraceFixture.removeCgroup(path) }
        let cgroup = try CgroupDirectory.open(path)
        var tracer = try Tracer()
        try tracer.attach(to: cgroup)
        // Seven trace programs (whose connect programs also enter sockets for the outcomes), and
        // the outcome program on sock_release.
        XCTAssertEqual(try TraceFixture.attachedPrograms(path), 8)

        let client = try runProgram("/bin/sh", ["-c", "echo $$ > \(path)/cgroup.procs && exec python3 \(try TraceFixture.clientScript()) \(port)"])
        XCTAssertEqual(client.status, 0, client.stderr)
        let pid = try XCTUnwrap(TraceFixture.clientPid(client.stderr))
        var events: [TraceEvent] = []
        for _ in 0..<10 { try tracer.poll(timeoutMilliseconds: 20) { events.append($0) } }

        let calls = events.compactMap { event -> TraceSocketCall? in if case let .socketCall(c) = event { return c } else { return nil } }
        let mapped = try XCTUnwrap(calls.first { $0.hook == .connect6 && $0.isMapped })
        XCTAssertEqual(mapped.pid, pid)
        XCTAssertEqual(mapped.port, Port(UInt16(port)))
        XCTAssertEqual(mapped.transport, .tcp)
        let send = try XCTUnwrap(calls.first { $0.hook == .sendmsg4 })
        XCTAssertEqual(send.socketFamily, .inet6)
        XCTAssertEqual(send.address, IPAddress("::ffff:127.0.0.1"))

        let firstSeen = events.compactMap { event -> TraceEgress? in if case let .egress(e) = event { return e } else { return nil } }
        let mappedEgress = try XCTUnwrap(firstSeen.first { $0.cookie == mapped.cookie })
        XCTAssertFalse(mappedEgress.isFinal)
        XCTAssertEqual(mappedEgress.socketFamily, .inet6)
        XCTAssertEqual(mappedEgress.wireProtocol, .ipv4)
        XCTAssertEqual(mappedEgress.remote, SocketAddress(.v4(.loopback), Port(UInt16(port))))
        XCTAssertEqual(mappedEgress.local.port.value, UInt16(TraceFixture.clientValue("mapped", client.stderr) ?? 0))

        let outcomes = events.compactMap { event -> TraceOutcome? in if case let .outcome(o) = event, o.cookie == mapped.cookie { return o } else { return nil } }
        XCTAssertEqual(outcomes.map(\.kind), [.established, .closed])
        XCTAssertEqual(outcomes.last?.bytesSent, 5, "the client sent hello")
        XCTAssertEqual(outcomes.last?.remote, SocketAddress(.v6(IPv6Address(mapping: .loopback)), Port(UInt16(port))),
                       "an AF_INET6 socket holds its IPv4 peer mapped")

        let totals = tracer.egressTotals()
        let mappedTotal = try XCTUnwrap(totals.first { $0.cookie == mapped.cookie })
        XCTAssertTrue(mappedTotal.isFinal)
        // SYN, the data, its ACK-carrying FIN at least.
        XCTAssertGreaterThanOrEqual(mappedTotal.packets, 3)
        XCTAssertGreaterThan(mappedTotal.bytes, 100)
        XCTAssertEqual(tracer.counters().lostEvents, 0)

        tracer.detach()
        XCTAssertEqual(try TraceFixture.attachedPrograms(path), 0)
    }
}
