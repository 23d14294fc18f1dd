import XCTest
@testable import SockdiagCore

/// A fixed trace (binds, mapped connects and sends, egress of connected and accepted sockets,
/// every outcome, a refused fallback race, one left open, final totals, workloads) run through
/// the session and both writers, held to the bytes recorded in TraceOutputGolden.swift: the
/// reader's speed work must not move a byte of what users and scripts read.
final class TraceOutputGoldenTests: XCTestCase {
    static let docker = ProcessCgroup(path: "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope")
    static let unit = ProcessCgroup(path: "/system.slice/api.service")
    static let plain = ProcessCgroup(path: "/sockdiag-trace-4242")

    static func call(_ hook: TraceHook, _ family: AddressFamily, _ address: String, port: UInt16, cookie: UInt64, at timeNs: UInt64,
                     pid: Int32 = 42, comm: String = "node", transport: TransportProtocol? = .tcp, cgroup: ProcessCgroup? = plain) -> TraceEvent {
        .socketCall(TraceSocketCall(TraceTaskContext(hook: hook, timeNs: timeNs, pid: pid, tid: pid + 1, comm: comm, uid: 1000, cgroupID: 77,
                                                     cookie: cookie, socketFamily: family, transport: transport, cgroup: cgroup),
                                    hookAddress: IPAddress(address)!, port: Port(port)))
    }

    static func egress(cookie: UInt64, at timeNs: UInt64, family: AddressFamily, wire: TraceWireProtocol, local: String, localPort: UInt16,
                       remote: String, remotePort: UInt16, packets: UInt64 = 1, bytes: UInt64 = 60, final: Bool = false) -> TraceEvent {
        .egress(TraceEgress(cookie: cookie, timeNs: timeNs, pid: nil, comm: nil, socketFamily: family, wireProtocol: wire, transport: .tcp,
                            local: SocketAddress(IPAddress(local)!, Port(localPort)), remote: SocketAddress(IPAddress(remote)!, Port(remotePort)),
                            packets: packets, bytes: bytes, isFinal: final))
    }

    static func outcome(_ kind: TraceOutcomeKind, cookie: UInt64, at timeNs: UInt64, family: AddressFamily? = .inet6, transport: TransportProtocol = .tcp,
                        local: String? = "::1", localPort: UInt16 = 40000, remote: String? = "::1", remotePort: UInt16 = 3000,
                        elapsedNs: UInt64 = 120_000, retransmits: UInt32? = 0, rtt: UInt32? = nil, bytes: (UInt64, UInt64)? = nil,
                        error: Int32? = nil, resetBy: TraceResetBy? = nil) -> TraceEvent {
        .outcome(TraceOutcome(cookie: cookie, timeNs: timeNs, kind: kind, transport: transport, socketFamily: family,
                              local: local.map { SocketAddress(IPAddress($0)!, Port(localPort)) },
                              remote: remote.map { SocketAddress(IPAddress($0)!, Port(remotePort)) },
                              elapsedNs: elapsedNs, synRetransmits: kind.endsConnect ? retransmits : nil, rttMicroseconds: rtt,
                              bytesSent: bytes?.0, bytesReceived: bytes?.1, error: error.map(Errno.init), resetBy: resetBy))
    }

    static let base: UInt64 = 1_796_077_477_099_326_312

    static var events: [TraceEvent] {
        var events: [TraceEvent] = [
            call(.postBind6, .inet6, "::", port: 3000, cookie: 1, at: base, pid: 7, comm: "api", cgroup: unit),
            call(.postBind4, .inet, "127.0.0.2", port: 3000, cookie: 2, at: base + 10, pid: 9, comm: "web", cgroup: docker),
            // A mapped connect, its packets, its accepted peer's packets, its end.
            call(.connect6, .inet6, "127.0.0.1", port: 3000, cookie: 10, at: base + 1_000),
            egress(cookie: 10, at: base + 1_100, family: .inet6, wire: .ipv4, local: "127.0.0.1", localPort: 52810, remote: "127.0.0.1", remotePort: 3000),
            outcome(.established, cookie: 10, at: base + 1_200, local: "::ffff:127.0.0.1", localPort: 52810, remote: "::ffff:127.0.0.1", elapsedNs: 84_198, rtt: 63),
            egress(cookie: 11, at: base + 1_300, family: .inet6, wire: .ipv4, local: "127.0.0.1", localPort: 3000, remote: "127.0.0.1", remotePort: 52810, bytes: 52),
            outcome(.closed, cookie: 10, at: base + 1_400, local: "::ffff:127.0.0.1", localPort: 52810, remote: "::ffff:127.0.0.1", elapsedNs: 151_335, rtt: 57, bytes: (0, 0)),
            // A Happy Eyeballs fallback: ::1 refused, 127.0.0.1 established.
            call(.connect6, .inet6, "::1", port: 3000, cookie: 20, at: base + 2_000, pid: 50, comm: "curl", cgroup: docker),
            egress(cookie: 20, at: base + 2_010, family: .inet6, wire: .ipv6, local: "::1", localPort: 41000, remote: "::1", remotePort: 3000, bytes: 80),
            outcome(.refused, cookie: 20, at: base + 2_100, localPort: 41000, elapsedNs: 90_000, error: 111, resetBy: .peer),
            call(.connect4, .inet, "127.0.0.1", port: 3000, cookie: 21, at: base + 2_200, pid: 50, comm: "curl", cgroup: docker),
            egress(cookie: 21, at: base + 2_210, family: .inet, wire: .ipv4, local: "127.0.0.1", localPort: 41001, remote: "127.0.0.1", remotePort: 3000),
            outcome(.established, cookie: 21, at: base + 2_300, family: .inet, local: "127.0.0.1", localPort: 41001, remote: "127.0.0.1", elapsedNs: 100_000, rtt: 12),
            outcome(.reset, cookie: 21, at: base + 50_000_000, family: .inet, local: "127.0.0.1", localPort: 41001, remote: "127.0.0.1",
                    elapsedNs: 49_997_700, rtt: 12, bytes: (512, 4096), error: 104, resetBy: .peer),
            // A race whose IPv6 attempt is still open at the end.
            call(.connect6, .inet6, "fd00::2", port: 443, cookie: 30, at: base + 3_000, pid: 60, comm: "node", cgroup: nil),
            call(.connect4, .inet, "10.0.0.2", port: 443, cookie: 31, at: base + 250_003_000, pid: 60, comm: "node", cgroup: nil),
            outcome(.established, cookie: 31, at: base + 250_103_000, family: .inet, local: "10.0.0.1", localPort: 50000, remote: "10.0.0.2",
                    remotePort: 443, elapsedNs: 100_000, rtt: 100),
            // Failures, each with its lesson; an aborted loser after the attempt delay.
            call(.connect6, .inet6, "2001:db8::5", port: 80, cookie: 40, at: base + 4_000, pid: 70, comm: "wget\u{1}x"),
            outcome(.unreachable, cookie: 40, at: base + 4_500, local: "2001:db8::1", localPort: 40400, remote: "2001:db8::5", remotePort: 80,
                    elapsedNs: 500, error: 101),
            call(.connect4, .inet, "192.0.2.9", port: 80, cookie: 41, at: base + 5_000, pid: 70, comm: "wget\u{1}x"),
            outcome(.timedOut, cookie: 41, at: base + 127_000_005_000, family: .inet, local: "192.0.2.1", localPort: 40401, remote: "192.0.2.9",
                    remotePort: 80, elapsedNs: 127_000_000_000, retransmits: 6, error: 110),
            call(.connect6, .inet6, "64:ff9b::c000:209", port: 80, cookie: 42, at: base + 6_000, pid: 71, comm: "java"),
            outcome(.aborted, cookie: 42, at: base + 256_000_000, local: "2001:db8::1", localPort: 40402, remote: "64:ff9b::c000:209",
                    remotePort: 80, elapsedNs: 250_000_000),
            outcome(.failed, cookie: 43, at: base + 7_000, local: nil, remote: nil, elapsedNs: 0, error: 101),
            // UDP: a connect names the peer of its refusal; an unconnected mapped send.
            call(.connect4, .inet, "127.0.0.1", port: 53, cookie: 50, at: base + 8_000, pid: 80, comm: "dig", transport: .udp),
            outcome(.refused, cookie: 50, at: base + 8_100, family: nil, transport: .udp, local: nil, remote: nil, elapsedNs: 100, error: 111),
            call(.sendmsg4, .inet6, "127.0.0.1", port: 5353, cookie: 51, at: base + 9_000, pid: 80, comm: "dig", transport: .udp),
            call(.sendmsg6, .inet6, "2002:c000:204::1", port: 5353, cookie: 52, at: base + 9_100, pid: 80, comm: "dig", transport: .udp),
            call(.postBind6, .inet6, "::ffff:127.0.0.1", port: 7000, cookie: 53, at: base + 9_200, pid: 80, comm: "dig", transport: .udp),
            call(.connect6, .inet6, "2001:0:4136:e378:8000:63bf:3fff:fdd2", port: 9, cookie: 54, at: base + 9_300, pid: 80, comm: "dig", transport: nil),
        ]
        // The end: every socket's totals, in time order.
        events += [
            egress(cookie: 10, at: base + 1_100, family: .inet6, wire: .ipv4, local: "127.0.0.1", localPort: 52810, remote: "127.0.0.1", remotePort: 3000,
                   packets: 4, bytes: 216, final: true),
            egress(cookie: 11, at: base + 1_300, family: .inet6, wire: .ipv4, local: "127.0.0.1", localPort: 3000, remote: "127.0.0.1", remotePort: 52810,
                   packets: 3, bytes: 164, final: true),
            egress(cookie: 20, at: base + 2_010, family: .inet6, wire: .ipv6, local: "::1", localPort: 41000, remote: "::1", remotePort: 3000,
                   bytes: 80, final: true),
            egress(cookie: 99, at: base + 9_999, family: .inet, wire: .ipv4, local: "10.1.1.1", localPort: 1, remote: "10.1.1.2", remotePort: 2,
                   packets: 9, bytes: 900, final: true),
        ]
        return events
    }

    /// The trace's JSON lines and its text, written as `sockdiag trace` writes them.
    static func written() -> (json: String, text: String) {
        var session = TraceSession()
        let renderer = TraceRenderer(utcOffsetSeconds: 3600, commWidth: 30)
        var json = TraceOutputBuffer()
        var text = renderer.header
        func races(end: Bool) {
            for race in session.takeSettledRaces(endOfTrace: end) {
                let lessons = session.record(race)
                json.append(race.json(lessons: lessons).compact + "\n")
                text += renderer.render(race, lessons: lessons)
            }
        }
        for event in events {
            let (processed, lesson) = session.process(event)
            processed.appendJSONLine(lesson: lesson, to: &json)
            if let line = renderer.render(processed, lesson: lesson) { text += line }
            if case .outcome = processed { races(end: false) }
        }
        races(end: true)
        session.setCounters(TraceCounters(lostEvents: 2, egressUntracked: 1, egressUnattributed: 3))
        json.append(session.summary.json(command: nil, durationNs: 5_000).compact + "\n")
        text += "\n" + renderer.renderSummary(session.summary, command: nil)
        return (String(decoding: json.bytes, as: UTF8.self), text)
    }

    func testTheWrittenTraceIsTheRecordedOne() {
        let (json, text) = Self.written()
        XCTAssertEqual(json, TraceOutputGolden.json)
        XCTAssertEqual(text, TraceOutputGolden.text)
    }
}
