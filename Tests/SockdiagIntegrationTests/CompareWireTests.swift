import Foundation
import XCTest

/// Offline compare-wire: a tcpdump file made by the test on lo and a real `sockdiag trace --json`
/// log of the same run, and the errors a user can make with files.
final class CompareWireTests: XCTestCase {
    func testOfflineJoinOfATcpdumpCaptureAndASavedTrace() throws {
        try requirePrivileges("tcpdump on lo and the eBPF tracer")
        let scratch = try WireScratch()
        let capture = try WireTcpdump(interface: "lo", filter: "tcp port 48210 or tcp port 48211", output: scratch.path("lo.pcap"))
        let trace = try Sockdiag.run(["trace", "--json", "--", python3Path, scratch.path("client.py"), "connect-local", "48210", "127.0.0.1", "::1"])
        // The same client outside the traced cgroup: its flows are on the wire and nowhere in the trace.
        let outsider = try runProgram(python3Path, [scratch.path("client.py"), "connect-local", "48211", "127.0.0.1", "::1"])
        capture.stop()
        XCTAssertEqual(trace.status, 1, trace.stderr)
        let client = try XCTUnwrap(clientLine(trace.stderr), trace.stderr)
        let other = try XCTUnwrap(clientLine(outsider.stdout), outsider.stderr)
        try trace.stdout.write(to: scratch.file("trace.jsonl"), atomically: true, encoding: .utf8)

        let result = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("lo.pcap"), "--events", scratch.path("trace.jsonl"),
                                       "--json", "--write-pcapng", scratch.path("annotated.pcapng")])
        XCTAssertEqual(result.status, 1, "an ipv4-mapped flow exits 1: \(result.stderr)")
        assertDualStackFlows(wireFlows(result.json, port: 48210), client: client, v4: "127.0.0.1", v6: "::1")
        let outsiderFlows = wireFlows(result.json, port: 48211)
        for (name, port) in other.ports {
            let flow = outsiderFlows.first { ($0["wire"] as? [String: Any])?["sport"] as? Int == port }
            XCTAssertEqual(flow?["verdict"] as? String, "wire-only", "\(name): \(String(describing: flow))")
            XCTAssertTrue(flow?["pid"] is NSNull, "\(name)")
        }
        let captureInfo = (result.json as? [String: Any])?["capture"] as? [String: Any]
        XCTAssertEqual(captureInfo?["link_type"] as? String, "EN10MB")

        // Wireshark users get the kernel view in each packet's comment.
        let mappedPort = client.ports["mapped"]!
        let comments = try runProgram("/usr/bin/tshark", ["-r", scratch.path("annotated.pcapng"), "-Y", "tcp.srcport == \(mappedPort)",
                                                          "-T", "fields", "-e", "frame.comment"])
        XCTAssertEqual(comments.status, 0, comments.stderr)
        let first = comments.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(first.contains("pid \(client.pid)"), first)
        XCTAssertTrue(first.contains("socket inet6 connect6 to [::ffff:127.0.0.1]:48210 (ipv4-mapped)"), first)

        let human = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("lo.pcap"), "--events", scratch.path("trace.jsonl")])
        XCTAssertEqual(human.status, 1)
        let mappedLine = human.stdout.split(separator: "\n").first { $0.contains(":\(mappedPort) -> ") }
        XCTAssertNotNil(mappedLine, human.stdout)
        XCTAssertTrue(mappedLine?.contains("\(client.pid)/python3") == true, String(describing: mappedLine))
        XCTAssertTrue(mappedLine?.contains("inet6 [::ffff:127.0.0.1]:48210") == true, String(describing: mappedLine))
        XCTAssertTrue(mappedLine?.hasSuffix("ipv4-mapped") == true, String(describing: mappedLine))
    }

    // MARK: - Bad input: one line on stderr, exit 2

    /// A pcap file: global header for `linkType`, then the records given.
    func pcapFile(linkType: UInt32 = 101, records: [[UInt8]]) -> Data {
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        var bytes = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(linkType)
        for record in records { bytes += record }
        return Data(bytes)
    }

    func record(_ packet: [UInt8], caplen: UInt32? = nil) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        return le32(1_700_000_000) + le32(5) + le32(caplen ?? UInt32(packet.count)) + le32(UInt32(packet.count)) + packet
    }

    let udpPacket: [UInt8] = [0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                              0x13, 0x88, 0x00, 0x35, 0, 12, 0, 0, 1, 2, 3, 4]

    func assertOneLineFailure(_ arguments: [String], mentions: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try Sockdiag.run(arguments)
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("sockdiag: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(mentions), "\(result.stderr) lacks \(mentions)", file: file, line: line)
        XCTAssertTrue(result.stdout.isEmpty, result.stdout, file: file, line: line)
    }

    func testBadFilesExitTwoWithOneLine() throws {
        let scratch = try WireScratch()
        let good = scratch.path("good.pcap"), events = scratch.path("events.jsonl")
        try pcapFile(records: [record(udpPacket)]).write(to: scratch.file("good.pcap"))
        try Data("{\"event\":\"summary\",\"lost\":0}\n".utf8).write(to: scratch.file("events.jsonl"))
        try Data().write(to: scratch.file("empty.jsonl"))
        try Data("this is not a capture\n".utf8).write(to: scratch.file("text.pcap"))
        try pcapFile(records: [record(udpPacket), Array(record(udpPacket).prefix(30))]).write(to: scratch.file("truncated.pcap"))
        try pcapFile(linkType: 127, records: [record(udpPacket)]).write(to: scratch.file("radiotap.pcap"))
        try Data("sockdiag trace output, not JSON\n12:00 connect6 ::1\n".utf8).write(to: scratch.file("garbage.jsonl"))

        try assertOneLineFailure(["compare-wire", "--pcap", scratch.path("missing.pcap"), "--events", events], mentions: "missing.pcap")
        try assertOneLineFailure(["compare-wire", "--pcap", good, "--events", scratch.path("missing.jsonl")], mentions: "missing.jsonl")
        try assertOneLineFailure(["compare-wire", "--pcap", scratch.path("text.pcap"), "--events", events], mentions: "text.pcap")
        // A capture cut off within its second packet: the first is reported, and the run fails.
        let cut = try Sockdiag.run(["compare-wire", "--json", "--pcap", scratch.path("truncated.pcap"), "--events", events])
        XCTAssertEqual(cut.status, 2)
        XCTAssertEqual(((cut.json as? [String: Any])?["capture"] as? [String: Any])?["packets"] as? Int, 1, cut.stdout)
        XCTAssertTrue(cut.stderr.contains("truncated.pcap ended early (truncated"), cut.stderr)
        try assertOneLineFailure(["compare-wire", "--pcap", scratch.path("radiotap.pcap"), "--events", events], mentions: "not supported")
        try assertOneLineFailure(["compare-wire", "--pcap", good, "--events", scratch.path("garbage.jsonl")],
                                 mentions: "is not a 'sockdiag trace --json' event log: line 1")
        try assertOneLineFailure(["compare-wire", "--pcap", good, "--events", scratch.url.path], mentions: "is a directory")
        for empty in [scratch.path("empty.jsonl"), "/dev/null"] {
            try assertOneLineFailure(["compare-wire", "--pcap", good, "--events", empty], mentions: "\(empty) holds no events")
        }
        try assertOneLineFailure(["compare-wire", "--pcap", good], mentions: "--pcap needs --events")
        try assertOneLineFailure(["compare-wire", "--pcap", good, "--events", events, "--cgroup", "/x"], mentions: "--cgroup is for live mode")
        try assertOneLineFailure(["compare-wire"], mentions: "nothing to compare")
    }

    func testAFlowNobodyTracedIsWireOnlyAndExitsZero() throws {
        let scratch = try WireScratch()
        try pcapFile(records: [record(udpPacket), record(udpPacket), record([0x60, 0])]).write(to: scratch.file("c.pcap"))
        try Data("{\"event\":\"summary\",\"lost\":0}\nnot json\n".utf8).write(to: scratch.file("e.jsonl"))
        let result = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("c.pcap"), "--events", scratch.path("e.jsonl"), "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try XCTUnwrap(result.json as? [String: Any])
        let flows = try XCTUnwrap(report["flows"] as? [[String: Any]])
        XCTAssertEqual(flows.count, 1)
        XCTAssertEqual(flows.first?["verdict"] as? String, "wire-only")
        let wire = flows.first?["wire"] as? [String: Any]
        XCTAssertEqual(wire?["src"] as? String, "10.0.0.1")
        XCTAssertEqual(wire?["sport"] as? Int, 5000)
        XCTAssertEqual(wire?["dport"] as? Int, 53)
        XCTAssertEqual(wire?["transport"] as? String, "udp")
        XCTAssertEqual(wire?["packets"] as? Int, 2)
        let capture = report["capture"] as? [String: Any]
        XCTAssertEqual(capture?["link_type"] as? String, "RAW")
        XCTAssertEqual(capture?["packets"] as? Int, 3)
        XCTAssertEqual(capture?["skipped"] as? Int, 1)
        XCTAssertEqual((report["events"] as? [String: Any])?["garbage_lines"] as? Int, 1)
    }

    func testTheAnnotatedCaptureNeverOverwritesAnInput() throws {
        let scratch = try WireScratch()
        let capture = pcapFile(records: [record(udpPacket)])
        try capture.write(to: scratch.file("good.pcap"))
        let summary = Data("{\"event\":\"summary\",\"lost\":0}\n".utf8)
        try summary.write(to: scratch.file("e.jsonl"))
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link.pcap"), withDestinationPath: scratch.path("good.pcap"))
        let inputs = [(scratch.path("good.pcap"), "--pcap"), (scratch.path("link.pcap"), "--pcap"), (scratch.path("e.jsonl"), "--events")]
        for (output, what) in inputs {
            try assertOneLineFailure(["compare-wire", "-r", scratch.path("good.pcap"), "-e", scratch.path("e.jsonl"), "-w", output],
                                     mentions: "is the \(what) file")
        }
        XCTAssertEqual(try Data(contentsOf: scratch.file("good.pcap")), capture, "the user's capture is untouched")
        XCTAssertEqual(try Data(contentsOf: scratch.file("e.jsonl")), summary, "the user's trace is untouched")
        let other = try Sockdiag.run(["compare-wire", "-r", scratch.path("good.pcap"), "-e", scratch.path("e.jsonl"), "-w", scratch.path("out.pcapng")])
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(other.stdout.contains("e.jsonl: 0 events, 0 lost"), other.stdout)
    }

    func testEventsAreCountedWithoutTheSummary() throws {
        let scratch = try WireScratch()
        try pcapFile(records: [record(udpPacket)]).write(to: scratch.file("c.pcap"))
        let connect = #"{"event":"connect","hook":"connect4","pid":7,"comm":"dig","cookie":9,"socket_family":"inet","protocol":"udp","address":"10.0.0.2","port":53}"#
        try Data((connect + "\n{\"event\":\"summary\",\"lost\":0}\n").utf8).write(to: scratch.file("e.jsonl"))
        let result = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("c.pcap"), "--events", scratch.path("e.jsonl")])
        XCTAssertTrue(result.stdout.contains("e.jsonl: 1 event, 0 lost"), result.stdout)
        let json = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("c.pcap"), "--events", scratch.path("e.jsonl"), "--json"])
        let events = (json.json as? [String: Any])?["events"] as? [String: Any]
        XCTAssertEqual(events?["lines"] as? Int, 2)
        XCTAssertEqual(events?["events"] as? Int, 1)
    }

    /// A log of megabytes is read in parts from both ends on two threads, a pipe in one pass: the
    /// reports must be the same, down to the order of the flows and the first unreadable line.
    func testALargeLogReadInPartsGivesTheOnePassReport() throws {
        let scratch = try WireScratch()
        try pcapFile(records: [record(udpPacket)]).write(to: scratch.file("c.pcap"))
        var lines: [String] = []
        var cookies: [Int] = []
        for i in 0..<9_000 {
            let cookie = 50_000 + i * 2
            let mapped = i % 3 == 0
            lines.append(#"{"event":"connect","hook":"connect\#(mapped ? 6 : 4)","time_ns":1795442296797673365,"pid":\#(100 + i % 7),"tid":1,"comm":"client","uid":0,"cgroup_id":5,"cookie":\#(cookie),"socket_family":"inet\#(mapped ? "6" : "")","protocol":"tcp","address":"\#(mapped ? "::ffff:" : "")10.0.\#(i / 250).\#(i % 250)","port":443}"#)
            lines.append(egress(cookie: cookie, final: false, packets: 1, localPort: 30_000 + i, pid: i % 5 == 0 ? "null" : "\(100 + i % 7)"))
            cookies.append(cookie)
            if i == 4_321 { lines.append("not a record") }
        }
        for (n, cookie) in cookies.reversed().enumerated() {
            lines.append(egress(cookie: cookie, final: true, packets: 5, localPort: 1, pid: "\(100 + n % 7)"))
            // Totals of sockets whose first records were lost: read whole when the merge gets to them.
            if n % 1_000 == 0 { lines.append(egress(cookie: cookie + 1, final: true, packets: 2, localPort: 2, pid: "9")) }
        }
        lines.append(#"{"event":"summary","events":27000,"lost":4}"#)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: scratch.file("big.jsonl"))
        XCTAssertGreaterThan(try Data(contentsOf: scratch.file("big.jsonl")).count, 6 << 20, "several parts of 2 MiB")

        let parts = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("c.pcap"), "--events", scratch.path("big.jsonl"), "--json"])
        let onePass = try runProgram("/bin/sh", ["-c", "cat '\(scratch.path("big.jsonl"))' | '\(Sockdiag.executable.path)' compare-wire --pcap '\(scratch.path("c.pcap"))' --events /dev/stdin --json"])
        XCTAssertEqual(parts.status, onePass.status, parts.stderr + onePass.stderr)
        let a = try XCTUnwrap(parts.json as? [String: Any]), b = try XCTUnwrap(onePass.json as? [String: Any])
        let flowsA = try XCTUnwrap(a["flows"] as? [[String: Any]]), flowsB = try XCTUnwrap(b["flows"] as? [[String: Any]])
        XCTAssertEqual(flowsA.count, 9_010, "9,000 connects, 9 sockets named by their totals, 1 wire-only flow")
        XCTAssertEqual(flowsA.count, flowsB.count)
        for (x, y) in zip(flowsA, flowsB) { XCTAssertEqual(x as NSDictionary, y as NSDictionary) }
        XCTAssertEqual(a["summary"] as? NSDictionary, b["summary"] as? NSDictionary)
        let eventsA = try XCTUnwrap(a["events"] as? [String: Any]), eventsB = try XCTUnwrap(b["events"] as? [String: Any])
        for key in ["lines", "events", "garbage_lines", "lost", "ignored"] {
            XCTAssertEqual(eventsA[key] as? Int, eventsB[key] as? Int, key)
        }
        XCTAssertEqual(eventsA["garbage_lines"] as? Int, 1)
        XCTAssertEqual(eventsA["lost"] as? Int, 4)
    }

    func egress(cookie: Int, final: Bool, packets: Int, localPort: Int, pid: String) -> String {
        #"{"event":"egress","final":\#(final),"time_ns":1795442297099449078,"cookie":\#(cookie),"pid":\#(pid),"comm":\#(pid == "null" ? "null" : "\"client\""),"socket_family":"inet6","wire_protocol":"ipv4","protocol":"tcp","local_address":"10.9.0.1","local_port":\#(localPort),"remote_address":"10.0.0.1","remote_port":443,"packets":\#(packets),"bytes":\#(packets * 60),"lesson":null}"#
    }
}
