import XCTest
@testable import SockdiagCore

/// Outcomes: how the kernel's record of a connect's end is named, timed and explained.
final class TraceOutcomeTests: XCTestCase {
    static func outcome(_ kind: TraceOutcomeKind, cookie: UInt64 = 7, remote: String = "::1", elapsedNs: UInt64 = 120_000,
                        error: Int32? = nil, resetBy: TraceResetBy? = nil, bytes: (UInt64, UInt64)? = nil,
                        group: Int? = nil) -> TraceOutcome {
        let address = IPAddress(remote)!
        let family: AddressFamily = address.family
        return TraceOutcome(cookie: cookie, timeNs: 1_000, kind: kind, transport: .tcp, socketFamily: family,
                            local: SocketAddress(address, Port(40000)), remote: SocketAddress(address, Port(3000)),
                            elapsedNs: elapsedNs, synRetransmits: kind.endsConnect ? 0 : nil, rttMicroseconds: kind == .established ? 45 : nil,
                            bytesSent: bytes?.0, bytesReceived: bytes?.1, error: error.map(Errno.init), resetBy: resetBy, group: group)
    }

    func testDurationsReadAtAGlance() {
        XCTAssertEqual(TraceOutcome.duration(45_000), "0.045 ms")
        XCTAssertEqual(TraceOutcome.duration(123_456), "0.1 ms")
        XCTAssertEqual(TraceOutcome.duration(12_345_678), "12.3 ms")
        XCTAssertEqual(TraceOutcome.duration(250_400_000), "250 ms")
        XCTAssertEqual(TraceOutcome.duration(3_010_000_000), "3010 ms")
        XCTAssertEqual(TraceOutcome.duration(63_150_000_000), "63.1 s")
    }

    func testTheICMPMessageIsNamedFromTheErrnoAndThePeersFamily() {
        XCTAssertEqual(Self.outcome(.unreachable, remote: "fd00::2", error: 101).icmp, "ICMPv6 destination unreachable, code 0 (no route)")
        XCTAssertEqual(Self.outcome(.unreachable, remote: "::ffff:10.0.0.2", error: 111).icmp, "ICMP destination unreachable, code 3 (port unreachable)")
        // A RST says refused on its own; no ICMP was involved.
        XCTAssertNil(Self.outcome(.refused, error: 111, resetBy: .peer).icmp)
        XCTAssertNil(Self.outcome(.timedOut, error: 110).icmp)
    }

    func testTheSessionNamesTheProcessAndTheUDPPeerFromTheConnect() {
        var session = TraceSession()
        let connect = TraceSocketCall(TraceTaskContext(hook: .connect4, timeNs: 1, pid: 42, tid: 42, comm: "dig", uid: 0, cgroupID: 1,
                                                       cookie: 9, socketFamily: .inet, transport: .udp),
                                      hookAddress: IPAddress("127.0.0.1")!, port: Port(53))
        _ = session.process(.socketCall(connect))
        let udp = TraceOutcome(cookie: 9, timeNs: 5, kind: .refused, transport: .udp, socketFamily: nil, local: nil, remote: nil,
                               elapsedNs: 10, synRetransmits: nil, rttMicroseconds: nil, bytesSent: nil, bytesReceived: nil,
                               error: Errno(111), resetBy: nil)
        guard case let .outcome(named) = session.process(.outcome(udp)).event else { return XCTFail("outcome expected") }
        XCTAssertEqual(named.pid, 42)
        XCTAssertEqual(named.comm, "dig")
        XCTAssertEqual(named.remote?.description, "127.0.0.1:53")
        XCTAssertEqual(named.icmp, "ICMP destination unreachable, code 3 (port unreachable)")
        XCTAssertEqual(session.summary.outcomes.first { $0.kind == .refused }?.count, 1)
    }

    func testTheTextLineSaysWhatHappenedAndWhen() {
        let renderer = TraceRenderer(utcOffsetSeconds: 0)
        let refused = renderer.render(.outcome(Self.outcome(.refused, error: 111, resetBy: .peer)), lesson: nil) ?? ""
        XCTAssertTrue(refused.contains("refused") && refused.contains("[::1]:3000") && refused.contains("after 0.1 ms, ECONNREFUSED"), refused)
        let closed = renderer.render(.outcome(Self.outcome(.reset, remote: "127.0.0.1", error: 104, resetBy: .peer, bytes: (5, 7))), lesson: nil) ?? ""
        XCTAssertTrue(closed.contains("RST received, ECONNRESET, 5 B sent, 7 B received"), closed)
    }
}

/// Races: which connects form a Happy Eyeballs group, when a group is settled, what it teaches.
final class TraceRaceTests: XCTestCase {
    func connect(_ address: String, cookie: UInt64, at timeNs: UInt64, pid: Int32 = 42, port: UInt16 = 3000) -> TraceSocketCall {
        let ip = IPAddress(address)!
        return TraceSocketCall(TraceTaskContext(hook: ip.family == .inet ? .connect4 : .connect6, timeNs: timeNs, pid: pid, tid: pid,
                                                comm: "node", uid: 0, cgroupID: 1, cookie: cookie, socketFamily: ip.family, transport: .tcp),
                               hookAddress: ip, port: Port(port))
    }

    func outcome(_ kind: TraceOutcomeKind, cookie: UInt64, at timeNs: UInt64, elapsedNs: UInt64, error: Int32? = nil) -> TraceOutcome {
        TraceOutcome(cookie: cookie, timeNs: timeNs, kind: kind, transport: .tcp, socketFamily: .inet6, local: nil, remote: nil,
                     elapsedNs: elapsedNs, synRetransmits: 0, rttMicroseconds: nil, bytesSent: nil, bytesReceived: nil,
                     error: error.map(Errno.init), resetBy: kind == .refused ? .peer : nil)
    }

    func testAFallbackAfterARefusalIsOneRaceSettledByItsLastOutcome() {
        var tracker = TraceRaceTracker()
        XCTAssertNil(tracker.connect(connect("::1", cookie: 1, at: 1_000)))
        XCTAssertEqual(tracker.outcome(outcome(.refused, cookie: 1, at: 1_100, elapsedNs: 100, error: 111)).group, nil)
        XCTAssertEqual(tracker.connect(connect("127.0.0.1", cookie: 2, at: 1_300)), 1)
        let settled = tracker.outcome(outcome(.established, cookie: 2, at: 1_400, elapsedNs: 100))
        XCTAssertEqual(settled.group, 1)
        let race = try? XCTUnwrap(settled.settled)
        XCTAssertEqual(race?.attempts.map(\.cookie), [1, 2])
        XCTAssertEqual(race?.winningFamily, "ipv4")
        XCTAssertEqual(race?.headline, "Happy Eyeballs: [::1]:3000 refused after 0.000 ms (ECONNREFUSED), 127.0.0.1:3000 established after 0.000 ms")
        XCTAssertTrue(tracker.finish().isEmpty)

        // The refused fallback teaches the split-port lesson only where another program holds the port.
        guard var compared = race else { return }
        XCTAssertTrue(compared.isRefusedFallback)
        XCTAssertEqual(compared.lessons, [], "nothing to compare with")
        let reached = TraceListener(local: SocketAddress(.v4(.loopback), Port(3000)), pid: 7, comm: "api")
        compared.winnerListener = reached
        compared.portListeners = [reached]
        XCTAssertEqual(compared.lessons, [])
        XCTAssertTrue(compared.verdict.hasSuffix("reached api (pid 7) listening on 127.0.0.1:3000, the only program on port 3000"), compared.verdict)
        compared.portListeners = [reached, TraceListener(local: SocketAddress(.v4(IPv4Address(127, 0, 0, 2)), Port(3000)), pid: 9, comm: "web")]
        XCTAssertEqual(compared.lessons, [.refusedFallback])
        XCTAssertTrue(compared.verdict.hasSuffix(", not web (pid 9) listening on 127.0.0.2:3000 (port 3000 is split between programs)"), compared.verdict)
        var summary = TraceSummary()
        summary.record(race!)
        XCTAssertTrue(summary.sawSurprise, "a refused family that fell back is a surprise, split port or not")
    }

    func testALoserClosedAfterTheDelayTeachesTheAttemptTimeout() {
        var tracker = TraceRaceTracker()
        _ = tracker.connect(connect("fd00::2", cookie: 1, at: 0))
        XCTAssertEqual(tracker.connect(connect("10.0.0.2", cookie: 2, at: 250_000_000)), 1, "the IPv6 SYN is still unanswered")
        XCTAssertNil(tracker.outcome(outcome(.established, cookie: 2, at: 250_100_000, elapsedNs: 100_000)).settled, "IPv6 is still open")
        let race = tracker.outcome(outcome(.aborted, cookie: 1, at: 250_200_000, elapsedNs: 250_200_000)).settled
        XCTAssertEqual(race?.lessons, [.attemptTimeout])
        XCTAssertEqual(race?.verdict, "IPv4 won: IPv6 was given up after 250 ms with its SYN unanswered")
    }

    func testConnectsThatDoNotRaceStayAlone() {
        var tracker = TraceRaceTracker()
        // Same family, another port, another process, an established earlier attempt, a failure long ago.
        _ = tracker.connect(connect("::1", cookie: 1, at: 0))
        XCTAssertNil(tracker.connect(connect("::1", cookie: 2, at: 10)))
        XCTAssertNil(tracker.connect(connect("127.0.0.1", cookie: 3, at: 20, port: 3001)))
        XCTAssertNil(tracker.connect(connect("127.0.0.1", cookie: 4, at: 30, pid: 43)))
        _ = tracker.outcome(outcome(.established, cookie: 2, at: 40, elapsedNs: 30))
        XCTAssertNil(tracker.connect(connect("127.0.0.1", cookie: 5, at: 50)), "IPv6 had already won")
        _ = tracker.outcome(outcome(.refused, cookie: 5, at: 60, elapsedNs: 10))
        XCTAssertNil(tracker.connect(connect("::1", cookie: 6, at: 60 + 3_000_000_000)), "refused three seconds ago: no longer a fallback")
    }

    func testTheListenerIsTheOneTheKernelWouldPick() {
        func listener(_ family: AddressFamily, _ address: String, v6only: Bool? = nil, inode: UInt64) -> BindCheckSocket {
            BindCheckSocket(family: family, transport: .tcp, state: .listen, local: SocketAddress(IPAddress(address)!, Port(3000)),
                            remote: SocketAddress(family == .inet ? .v4(.any) : .v6(IPv6Address(high: 0, low: 0)), Port(0)),
                            v6only: v6only, uid: 0, inode: inode)
        }
        let dualStack = listener(.inet6, "::", v6only: false, inode: 1)
        let v4Wildcard = listener(.inet, "0.0.0.0", inode: 2)
        let v4Loopback = listener(.inet, "127.0.0.1", inode: 3)
        let v6Only = listener(.inet6, "::", v6only: true, inode: 4)
        let to4 = SocketAddress(IPAddress("127.0.0.1")!, Port(3000)), to6 = SocketAddress(IPAddress("::1")!, Port(3000))
        XCTAssertEqual(TraceListener.receiver(of: to4, among: [dualStack, v4Wildcard, v4Loopback])?.inode, 3)
        XCTAssertEqual(TraceListener.receiver(of: to4, among: [dualStack, v4Wildcard])?.inode, 2)
        XCTAssertEqual(TraceListener.receiver(of: to4, among: [dualStack])?.inode, 1)
        XCTAssertNil(TraceListener.receiver(of: to4, among: [v6Only]))
        XCTAssertEqual(TraceListener.receiver(of: to6, among: [v4Wildcard, v6Only])?.inode, 4)
        XCTAssertEqual(TraceListener.receiver(of: SocketAddress(IPAddress("::ffff:127.0.0.1")!, Port(3000)), among: [v4Loopback])?.inode, 3)
    }
}

/// The event-log reader takes outcome records in, as trace writes them, for compare-wire's rows.
final class WireOutcomeReadingTests: XCTestCase {
    func testOutcomeLinesReachTheKernelTable() {
        let connect = TraceOutcomeTests.outcome(.refused, cookie: 11, elapsedNs: 64_000, error: 111, resetBy: .peer)
        let established = TraceOutcomeTests.outcome(.established, cookie: 12, remote: "127.0.0.1", elapsedNs: 43_000)
        let closed = TraceOutcomeTests.outcome(.closed, cookie: 12, remote: "127.0.0.1", elapsedNs: 500_000, bytes: (5, 62))
        var table = WireKernelTable()
        for outcome in [connect, established, closed] {
            let line = TraceEvent.outcome(outcome).json(lesson: nil).compact
            let parsed = Array(line.utf8).withUnsafeBytes { WireEventLineParser.parse($0) }
            guard case let .event(event) = parsed else { return XCTFail("\(parsed): \(line)") }
            XCTAssertEqual(event.kind, .outcome)
            let bridged = WireKernelEvent(.outcome(outcome))
            XCTAssertEqual(event.outcome, bridged.outcome, line)
            XCTAssertEqual(event.elapsedNs, bridged.elapsedNs, line)
            XCTAssertEqual(event.error, bridged.error, line)
            XCTAssertEqual(event.cookie, bridged.cookie, line)
            table.add(event)
        }
        XCTAssertEqual(table.outcomes[11]?.connect, .refused)
        XCTAssertEqual(table.outcomes[11]?.error, Errno(111))
        XCTAssertEqual(table.outcomes[12]?.connect, .established)
        XCTAssertEqual(table.outcomes[12]?.connectElapsedNs, 43_000)
        XCTAssertEqual(table.outcomes[12]?.end, .closed)
        XCTAssertEqual(table.ignoredEvents, 0)
        XCTAssertEqual(Errno(name: "ECONNREFUSED"), Errno(111))
        XCTAssertEqual(Errno(name: "E999"), Errno(999))
        XCTAssertNil(Errno(name: "refused"))
    }
}

