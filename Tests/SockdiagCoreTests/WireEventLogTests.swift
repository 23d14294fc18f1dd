import XCTest
import Foundation
@testable import SockdiagCore

final class WireEventLogTests: XCTestCase {
    static let connect = #"{"event":"connect","hook":"connect6","time_ns":1795442296797673365,"pid":1191,"tid":1191,"comm":"python3","uid":0,"cgroup_id":1659,"cookie":2280714,"socket_family":"inet6","protocol":"tcp","address":"::ffff:127.0.0.1","port":47642,"class":"ipv4-mapped","ipv4":"127.0.0.1","scope":"loopback","hook_address":"::ffff:127.0.0.1","lesson":"connect6 to an IPv4 host"}"#
    static let egress = #"{"event":"egress","final":false,"time_ns":1795442297099449078,"cookie":2280714,"pid":1191,"comm":"python3","socket_family":"inet6","wire_protocol":"ipv4","protocol":"tcp","local_address":"127.0.0.1","local_port":36950,"remote_address":"127.0.0.1","remote_port":47642,"packets":1,"bytes":60}"#
    static let summary = #"{"event":"summary","events":1,"hooks":{"connect4":0,"connect6":1},"lessons":[{"lesson":"mapped-connect","sockets":1,"text":"a \"quoted\" {brace}"}],"lost":3,"command":null}"#

    func parse(_ line: String) -> WireEventLine {
        Array(line.utf8).withUnsafeBytes { WireEventLineParser.parse($0) }
    }

    func read(_ text: String, chunk: Int = 1 << 20) -> WireEventLogReader {
        var reader = WireEventLogReader()
        var bytes = ArraySlice(Array(text.utf8))
        reader.read(chunkSize: chunk) { buffer in
            let n = min(buffer.count, bytes.count, 7)  // small reads: lines cross chunk boundaries
            buffer.copyBytes(from: bytes.prefix(n))
            bytes = bytes.dropFirst(n)
            return n
        }
        return reader
    }

    func testConnectLineGivesTheKernelView() {
        guard case let .event(e) = parse(Self.connect) else { return XCTFail("not an event") }
        XCTAssertEqual(e.kind, .connect)
        XCTAssertEqual(e.hook, .connect6)
        XCTAssertEqual(e.pid, 1191)
        XCTAssertEqual(e.comm.description, "python3")
        XCTAssertEqual(e.cookie, 2280714)
        XCTAssertEqual(e.socketFamily, .inet6)
        XCTAssertEqual(e.transport, .tcp)
        XCTAssertEqual(e.address?.description, "::ffff:127.0.0.1")
        XCTAssertEqual(e.port, 47642)
        XCTAssertEqual(e.timeNs, 1795442296797673365)
    }

    /// Each process's cgroup comes from the first line naming it, escapes undone, from the keys
    /// after those the join reads; the workload is what the path names.
    func testEachProcessIsNamedByTheCgroupOfItsFirstLine() {
        let unit = Self.connect.replacingOccurrences(of: #","lesson""#, with: #","cgroup":"/system.slice/app\\x2dweb.service","unit":"app-web.service","container":null,"lesson""#)
        let docker = Self.egress.replacingOccurrences(of: #""pid":1191"#, with: #""pid":77"#)
            .replacingOccurrences(of: #""bytes":60}"#, with: #""bytes":60,"cgroup":"/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope","unit":null,"container":{"runtime":"docker","id":"0123"}}"#)
        let gone = Self.egress.replacingOccurrences(of: #""pid":1191"#, with: #""pid":78"#)
            .replacingOccurrences(of: #""bytes":60}"#, with: #""bytes":60,"cgroup":null,"unit":null,"container":null}"#)
        let later = Self.egress.replacingOccurrences(of: #""pid":1191"#, with: #""pid":78"#)
            .replacingOccurrences(of: #""bytes":60}"#, with: #""bytes":60,"cgroup":"/other","unit":null,"container":null}"#)
        let reader = read([unit, docker, gone, later, Self.egress].joined(separator: "\n") + "\n")
        XCTAssertEqual(reader.processCgroups[1191]?.path, "/system.slice/app\\x2dweb.service")
        XCTAssertEqual(reader.processCgroups[1191]?.workload.unit?.name, "app\\x2dweb.service")
        XCTAssertEqual(reader.processCgroups[77]?.workload.container?.id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
        XCTAssertNil(reader.processCgroups[78], "its first line had none")
        XCTAssertEqual(reader.processCgroups.count, 2)
    }

    func testEgressAndSummaryLines() {
        guard case let .event(e) = parse(Self.egress) else { return XCTFail("not an event") }
        XCTAssertEqual(e.kind, .egress)
        XCTAssertEqual(e.wireIsIPv6, false)
        XCTAssertEqual(e.localAddress?.description, "127.0.0.1")
        XCTAssertEqual(e.localPort, 36950)
        XCTAssertEqual(e.remotePort, 47642)
        guard case let .event(s) = parse(Self.summary) else { return XCTFail("summary with nested values not read") }
        XCTAssertEqual(s.kind, .summary)
        XCTAssertEqual(s.lost, 3)
    }

    func testEscapesWhitespaceAndUnknownKeys() {
        let line = #"  { "event" : "connect", "comm":"we\"ird\u0001", "extra":[1,{"a":"}"}], "cookie":7, "socket_family":"inet", "address":"10.0.0.2", "port":80, "ratio": -1.5e3, "ok": true }  "#
        guard case let .event(e) = parse(line) else { return XCTFail("not an event: \(parse(line))") }
        XCTAssertEqual(e.comm.description, "we\"ird\u{1}")
        XCTAssertEqual(e.address, WireAddress(IPv4Address(10, 0, 0, 2)))
    }

    func testGarbageLinesSayWhy() {
        let cases: [(String, String)] = [
            ("hello", "not a JSON object"),
            (#"{"event":"connect""#, "JSON syntax error"),
            (#"{"event":"connect"} tail"#, "text after the JSON object"),
            (#"{"event":"connect","cookie":1,"socket_family":"inet","address":"10.0.0.300","port":1}"#, "\"address\" has a value"),
            (#"{"event":"connect","cookie":1,"socket_family":"inet","address":"10.0.0.3","port":70000}"#, "\"port\" has a value"),
            (#"{"event":"connect","cookie":1,"socket_family":"inet","port":1}"#, "connect event without \"address\""),
            (#"{"event":"egress","cookie":1,"wire_protocol":"ipx"}"#, "\"wire_protocol\" has a value"),
            (#"{"event":"connect","cookie":-4}"#, "\"cookie\" has a value"),
        ]
        for (line, expected) in cases {
            guard case let .garbage(problem) = parse(line) else { XCTFail("accepted: \(line)"); continue }
            XCTAssertTrue(problem.description.contains(expected), "\(line): \(problem)")
        }
        XCTAssertEqual(parse("   "), .blank)
    }

    func testReaderCountsGarbageAndKeepsGoodEvents() throws {
        let log = [Self.connect, "garbage", "", Self.egress, #"{"event":"bind","hook":"post_bind6"}"#, Self.summary, #"{"event":"conn"#].joined(separator: "\n")
        let reader = read(log)
        XCTAssertEqual(reader.lines, 7)
        XCTAssertEqual(reader.events, 3, "connect, egress and bind; the summary is not an event")
        XCTAssertEqual(reader.records, 4)
        XCTAssertEqual(reader.garbage, 2)
        XCTAssertEqual(reader.firstGarbage?.line, 2)
        XCTAssertEqual(reader.kernel.intents.count, 1)
        XCTAssertEqual(reader.kernel.egress.count, 1)
        XCTAssertEqual(reader.kernel.ignoredEvents, 1)
        XCTAssertEqual(reader.kernel.lost, 3)
        XCTAssertNoThrow(try reader.validate(path: "t.jsonl"))
    }

    func testALogWithNoEventIsAnError() {
        let reader = read("sockdiag trace output\nnot json either\n")
        XCTAssertThrowsError(try reader.validate(path: "t.jsonl")) { error in
            XCTAssertEqual("\(error)", "t.jsonl is not a 'sockdiag trace --json' event log: line 1: not a JSON object")
        }
        for empty in ["", "\n", "  \n\n"] {
            XCTAssertThrowsError(try read(empty).validate(path: "empty.jsonl"), "\(Array(empty.utf8))") { error in
                XCTAssertEqual("\(error)", "empty.jsonl holds no events: a 'sockdiag trace --json' log has at least its summary line")
            }
        }
        let onlySummary = read(Self.summary + "\n")
        XCTAssertNoThrow(try onlySummary.validate(path: "quiet.jsonl"), "a trace that saw nothing is still a log")
        XCTAssertEqual(onlySummary.events, 0)
        XCTAssertEqual(onlySummary.kernel.lost, 3)
    }

    func testOverlongLineIsOneGarbageLine() {
        let long = "{\"x\":\"" + String(repeating: "a", count: WireEventLogReader.maximumLineLength * 3) + "\"}"
        let reader = read([long, Self.connect].joined(separator: "\n"), chunk: 1)
        XCTAssertEqual(reader.garbage, 1)
        XCTAssertEqual(reader.events, 1)
        XCTAssertEqual(reader.lines, 2)
        XCTAssertEqual(reader.firstGarbage?.line, 1)

        // Counted where it is, whether it ends a read or sits inside one, and the lines after it too.
        let limit = WireEventLogReader.maximumLineLength
        for chunk in [1, 1 << 20] {
            let middle = read([Self.connect, long, Self.egress, "garbage"].joined(separator: "\n") + "\n", chunk: chunk)
            XCTAssertEqual(middle.lines, 4, "chunk \(chunk)")
            XCTAssertEqual(middle.garbage, 2, "chunk \(chunk)")
            XCTAssertEqual(middle.firstGarbage?.line, 2, "chunk \(chunk)")
            XCTAssertEqual(middle.firstGarbage?.problem, .tooLong(limit: limit), "chunk \(chunk)")
            XCTAssertEqual(middle.events, 2, "chunk \(chunk)")
        }
        var whole = WireEventLogReader()
        var bytes = ArraySlice(Array(("\n" + long + "\n").utf8))
        whole.read { buffer in
            let n = min(buffer.count, bytes.count)
            buffer.copyBytes(from: bytes.prefix(n)); bytes = bytes.dropFirst(n)
            return n
        }
        XCTAssertThrowsError(try whole.validate(path: "t.jsonl")) { error in
            XCTAssertEqual("\(error)", "t.jsonl is not a 'sockdiag trace --json' event log: line 2 is longer than \(limit >> 10) KiB")
        }
    }

    func testEgressTotalsUpdateTheFirstRecord() {
        var table = WireKernelTable()
        var first = WireKernelEvent()
        if case let .event(e) = parse(Self.egress) { first = e }
        table.add(first)
        var final = first
        final.packets = 9
        final.bytes = 900
        table.add(final)
        XCTAssertEqual(table.egress.count, 1)
        XCTAssertEqual(table.egress(cookie: 2280714)?.packets, 9)
    }
}

extension WireEventLogTests {
    func testTotalsNameASocketWhoseFirstRecordWasLost() {
        let totals = Self.egress.replacingOccurrences(of: #""final":false"#, with: #""final":true"#)
            .replacingOccurrences(of: #""packets":1"#, with: #""packets":12"#)
        let onlyTotals = read([Self.connect, totals].joined(separator: "\n"))
        XCTAssertEqual(onlyTotals.kernel.egress.first?.localPort, 36950)
        XCTAssertEqual(onlyTotals.kernel.egress.first?.packets, 12)
        let both = read([Self.connect, Self.egress, totals].joined(separator: "\n"))
        XCTAssertEqual(both.kernel.egress.count, 1)
        XCTAssertEqual(both.events, 3)
        XCTAssertEqual(read([Self.connect, Self.summary].joined(separator: "\n")).events, 1)
    }
}

extension WireEventLogTests {
    static let accepted = #"{"event":"egress","final":false,"time_ns":1795446844619204635,"cookie":7747272,"pid":null,"comm":null,"socket_family":"inet6","wire_protocol":"ipv4","protocol":"tcp","local_address":"127.0.0.1","local_port":48600,"remote_address":"127.0.0.1","remote_port":33938,"packets":1,"bytes":52,"lesson":"AF_INET6 socket sending IPv4 packets"}"#

    func bothReadings(_ line: [UInt8], wholeTotals: Bool) -> (String, String) {
        line.withUnsafeBytes { bytes in
            var fast = WireKernelEvent(), general = WireKernelEvent()
            let a = WireEventLineParser.parse(bytes, into: &fast, wholeTotals: wholeTotals, tracerLayout: true)
            let b = WireEventLineParser.parse(bytes, into: &general, wholeTotals: wholeTotals, tracerLayout: false)
            // Totals read only up to the cookie: the status says all the reader uses.
            if case .totals = a { return ("\(a)", "\(b)") }
            return ("\(a) \(fast)", "\(b) \(general)")
        }
    }

    /// The straight-through reading of the tracer's layout and the general parser agree on the
    /// tracer's lines and on every one-byte change and cut of them.
    func testTheTracerLayoutReadingAgreesWithTheGeneralParser() {
        let totals = Self.egress.replacingOccurrences(of: #""final":false"#, with: #""final":true"#)
        let lines = [Self.connect, Self.egress, totals, Self.accepted,
                     Self.connect.replacingOccurrences(of: "python3", with: #"py\"3"#),
                     Self.egress.replacingOccurrences(of: #""pid":1191"#, with: #""pid":4294967296"#)]
        let replacements: [UInt8] = Array(#"0,}"\.a"#.utf8)
        var checked = 0
        for line in lines {
            let bytes = Array(line.utf8)
            var variants = [bytes]
            for i in bytes.indices {
                variants.append(Array(bytes[..<i]))
                for r in replacements where r != bytes[i] {
                    var changed = bytes
                    changed[i] = r
                    variants.append(changed)
                }
            }
            for variant in variants {
                for whole in [false, true] {
                    let (fast, general) = bothReadings(variant, wholeTotals: whole)
                    XCTAssertEqual(fast, general, String(decoding: variant, as: UTF8.self))
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 10_000)
    }

    /// The lines the tracer itself writes (connects in both families, egress records with and
    /// without an owner, first and final) are read straight through: a change to the writer's
    /// keys or their order would send every line to the general parser, and fails here.
    func testTheTracersOwnLinesTakeTheStraightThroughReading() {
        var out = TraceOutputBuffer()
        var written = 0
        for (hook, family, address) in [(TraceHook.connect6, AddressFamily.inet6, "::ffff:127.0.0.1"),
                                        (.connect6, .inet6, "2001:db8::1"), (.connect4, .inet, "10.0.0.2"),
                                        (.connect4, .inet6, "127.0.0.1")] {
            for transport in [TransportProtocol.tcp, .udp] {
                let context = TraceTaskContext(hook: hook, timeNs: 1_795_442_296_797_673_365, pid: 1190, tid: 1191, comm: "python3",
                                               uid: 0, cgroupID: 1659, cookie: 4097, socketFamily: family, transport: transport)
                TraceEvent.socketCall(TraceSocketCall(context, hookAddress: IPAddress(address)!, port: Port(443)))
                    .appendJSONLine(lesson: written % 2 == 0 ? nil : .mappedConnect, to: &out)
                written += 1
            }
        }
        for final in [false, true] {
            for (pid, comm) in [(Int32?(1190), String?("python3")), (nil, nil)] {
                let egress = TraceEgress(cookie: 4097, timeNs: 1_795_442_297_099_449_078, pid: pid, comm: comm, socketFamily: .inet6,
                                         wireProtocol: .ipv4, transport: .tcp, local: SocketAddress(.v4(.loopback), Port(40000)),
                                         remote: SocketAddress(.v4(.loopback), Port(443)), packets: 3, bytes: 180, isFinal: final)
                TraceEvent.egress(egress).appendJSONLine(lesson: nil, to: &out)
                written += 1
            }
        }
        let lines = out.withUnsafeBytes { Array($0) }.split(separator: 0x0A).map(Array.init)
        XCTAssertEqual(lines.count, written)
        for line in lines {
            line.withUnsafeBytes { bytes in
                var event = WireKernelEvent()
                let status = WireEventLineLayout.parse(bytes, into: &event, wholeTotals: true)
                XCTAssertNotNil(status, "the general parser read: " + String(decoding: line, as: UTF8.self))
                if case .event? = status {} else { XCTFail("not an event: " + String(decoding: line, as: UTF8.self)) }
            }
            let (fast, general) = bothReadings(line, wholeTotals: true)
            XCTAssertEqual(fast, general)
        }
    }
}
