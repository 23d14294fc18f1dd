import XCTest
import Foundation
@testable import SockdiagCore

final class WireJoinTests: XCTestCase, WireJoinBuilding {
    struct Case {
        let name: String
        let events: [WireKernelEvent]
        let flows: [WireFlow]
        let expected: [(WireVerdict, wireSourcePort: UInt16?)]
    }

    func testVerdictTable() {
        let cases: [Case] = [
            Case(name: "mapped connect, IPv4 on the wire",
                 events: [connect(1, .inet6, "::ffff:10.0.0.2", 443), egress(1, .inet6, local: "10.0.0.1", 40000, remote: "10.0.0.2", 443)],
                 flows: [flow("10.0.0.1", 40000, "10.0.0.2", 443)],
                 expected: [(.ipv4Mapped, 40000)]),
            Case(name: "egress addresses given mapped too",
                 events: [connect(1, .inet6, "::ffff:10.0.0.2", 443), egress(1, .inet6, local: "::ffff:10.0.0.1", 40000, remote: "::ffff:10.0.0.2", 443)],
                 flows: [flow("10.0.0.1", 40000, "10.0.0.2", 443)],
                 expected: [(.ipv4Mapped, 40000)]),
            Case(name: "plain IPv4 and native IPv6",
                 events: [connect(1, .inet, "10.0.0.2", 443), egress(1, .inet, local: "10.0.0.1", 40001, remote: "10.0.0.2", 443),
                          connect(2, .inet6, "2001:db8::2", 443), egress(2, .inet6, local: "2001:db8::1", 40002, remote: "2001:db8::2", 443)],
                 flows: [flow("2001:db8::1", 40002, "2001:db8::2", 443), flow("10.0.0.1", 40001, "10.0.0.2", 443)],
                 expected: [(.same, 40001), (.same, 40002)]),
            Case(name: "NAT64 prefix",
                 events: [connect(1, .inet6, "64:ff9b::a00:2", 443), egress(1, .inet6, local: "2001:db8::1", 40003, remote: "64:ff9b::a00:2", 443)],
                 flows: [flow("2001:db8::1", 40003, "64:ff9b::a00:2", 443)],
                 expected: [(.nat64, 40003)]),
            Case(name: "egress local ports tell apart two flows to one destination",
                 events: [connect(1, .inet6, "::ffff:10.0.0.2", 443), connect(2, .inet, "10.0.0.2", 443),
                          egress(2, .inet, local: "10.0.0.1", 40011, remote: "10.0.0.2", 443),
                          egress(1, .inet6, local: "10.0.0.1", 40012, remote: "10.0.0.2", 443)],
                 flows: [flow("10.0.0.1", 40011, "10.0.0.2", 443, first: 1), flow("10.0.0.1", 40012, "10.0.0.2", 443, first: 2)],
                 expected: [(.ipv4Mapped, 40012), (.same, 40011)]),
            Case(name: "blocked connect and someone else's flow",
                 events: [connect(1, .inet6, "::ffff:10.0.0.9", 443)],
                 flows: [flow("10.0.0.1", 40020, "10.0.0.3", 80)],
                 expected: [(.kernelOnly, nil), (.wireOnly, 40020)]),
            Case(name: "no egress: the earliest unclaimed flow to the destination",
                 events: [connect(1, .inet6, "::ffff:10.0.0.2", 443)],
                 flows: [flow("10.0.0.1", 40031, "10.0.0.2", 443, first: 50), flow("10.0.0.1", 40030, "10.0.0.2", 443, first: 20)],
                 expected: [(.ipv4Mapped, 40030), (.wireOnly, 40031)]),
            Case(name: "an AF_INET socket never matches an IPv6 flow",
                 events: [connect(1, .inet, "10.0.0.2", 443)],
                 flows: [flow("2001:db8::1", 40040, "2001:db8::2", 443)],
                 expected: [(.kernelOnly, nil), (.wireOnly, 40040)]),
            Case(name: "accepted socket seen only on egress joins nothing new",
                 events: [connect(1, .inet6, "::1", 443), egress(1, .inet6, local: "::1", 40050, remote: "::1", 443),
                          egress(9, .inet6, local: "::1", 443, remote: "::1", 40050, pid: nil)],
                 flows: [flow("::1", 40050, "::1", 443)],
                 expected: [(.same, 40050)]),
            Case(name: "server traced alone: egress-only view",
                 events: [egress(9, .inet6, local: "10.0.0.2", 443, remote: "10.0.0.1", 40060, pid: nil)],
                 flows: [flow("10.0.0.1", 40060, "10.0.0.2", 443)],
                 expected: [(.ipv4Mapped, 40060)]),
            Case(name: "unconnected UDP sends to two destinations from one socket",
                 events: [connect(5, .inet6, "::ffff:10.0.0.53", 53, transport: .udp), connect(5, .inet6, "::ffff:10.0.0.54", 53, transport: .udp),
                          egress(5, .inet6, local: "10.0.0.1", 5000, remote: "10.0.0.53", 53)],
                 flows: [flow("10.0.0.1", 5000, "10.0.0.53", 53, transport: .udp), flow("10.0.0.1", 5000, "10.0.0.54", 53, transport: .udp)],
                 expected: [(.ipv4Mapped, 5000), (.ipv4Mapped, 5000)]),
        ]
        for c in cases {
            let result = join(c.events, c.flows)
            XCTAssertEqual(result.flows.map(\.verdict), c.expected.map(\.0), c.name)
            XCTAssertEqual(result.flows.map { $0.wire?.key.sourcePort }, c.expected.map(\.wireSourcePort), c.name)
        }
    }

    func testExitStatusAndRowLookup() {
        let mapped = join([connect(1, .inet6, "::ffff:10.0.0.2", 443), egress(1, .inet6, local: "10.0.0.1", 40000, remote: "10.0.0.2", 443)],
                          [flow("10.0.0.1", 40000, "10.0.0.2", 443), flow("10.0.0.1", 1, "10.0.0.3", 2)])
        XCTAssertEqual(mapped.exitStatus, .problemFound)
        XCTAssertEqual(mapped.rowOfWireFlow, [0, 1])
        XCTAssertEqual(mapped.flows[0].kernel?.pid, 42)
        XCTAssertEqual(mapped.flows[0].kernel?.localPort, 40000)
        let same = join([connect(1, .inet, "10.0.0.2", 443)], [flow("10.0.0.1", 40000, "10.0.0.2", 443)])
        XCTAssertEqual(same.exitStatus, .ok)
    }

    func testReportJSONAndText() throws {
        let result = join([connect(1, .inet6, "::ffff:10.0.0.2", 443), egress(1, .inet6, local: "10.0.0.1", 40000, remote: "10.0.0.2", 443)],
                          [flow("10.0.0.1", 40000, "10.0.0.2", 443)])
        let report = WireReport(join: result,
                                capture: WireCaptureSummary(file: "c.pcap", interface: nil, linkType: .ethernet, packets: 9,
                                                            dropped: nil, skipped: WireSkipCounts()),
                                events: WireEventsSummary(file: "t.jsonl", lines: 2, events: 2, garbage: 0, ignored: 0, lost: 0))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(report.json())) as? [String: Any])
        let flow = try XCTUnwrap((json["flows"] as? [[String: Any]])?.first)
        XCTAssertEqual(flow["pid"] as? Int, 42)
        XCTAssertEqual(flow["comm"] as? String, "client")
        XCTAssertEqual(flow["verdict"] as? String, "ipv4-mapped")
        let kernel = try XCTUnwrap(flow["kernel"] as? [String: Any])
        XCTAssertEqual(kernel["socket_family"] as? String, "inet6")
        XCTAssertEqual(kernel["address"] as? String, "::ffff:10.0.0.2")
        XCTAssertEqual(kernel["port"] as? Int, 443)
        let wire = try XCTUnwrap(flow["wire"] as? [String: Any])
        XCTAssertEqual(wire["protocol"] as? String, "ipv4")
        XCTAssertEqual(wire["src"] as? String, "10.0.0.1")
        XCTAssertEqual(wire["sport"] as? Int, 40000)
        XCTAssertEqual(wire["dst"] as? String, "10.0.0.2")
        XCTAssertEqual(wire["packets"] as? Int, 8)
        let capture = try XCTUnwrap(json["capture"] as? [String: Any])
        XCTAssertEqual(capture["link_type"] as? String, "EN10MB")
        XCTAssertEqual(capture["packets"] as? Int, 9)
        XCTAssertEqual((json["summary"] as? [String: Any])?["ipv4_mapped"] as? Int, 1)
        let text = String(decoding: report.text(), as: UTF8.self)
        XCTAssertTrue(text.contains("42/client  inet6 [::ffff:10.0.0.2]:443 (connect6)  IPv4 tcp 10.0.0.1:40000 -> 10.0.0.2:443, 8 pkts  -        ipv4-mapped"), text)
        XCTAssertTrue(text.contains("1 flow: 0 same, 1 ipv4-mapped"), text)
    }

    /// The executable renders a large report's flows in ranges on two cores: every split must give
    /// the same document as one piece, with and without flows.
    func testReportRenderedInRangesIsTheSameDocument() throws {
        var events: [WireKernelEvent] = [], flows: [WireFlow] = []
        for i in 0..<7 {
            let port = UInt16(40000 + i)
            events.append(connect(UInt64(i + 1), i % 2 == 0 ? .inet6 : .inet, i % 2 == 0 ? "::ffff:10.0.0.2" : "10.0.0.2", 443))
            events.append(egress(UInt64(i + 1), .inet6, local: "10.0.0.1", port, remote: "10.0.0.2", 443))
            flows.append(flow("10.0.0.1", port, "10.0.0.2", 443, first: UInt64(i)))
        }
        flows.append(flow("10.0.0.9", 1, "10.0.0.3", 2))
        for (events, flows) in [(events, flows), ([], [])] {
            let report = WireReport(join: join(events, flows),
                                    capture: WireCaptureSummary(file: "c.pcap", interface: nil, linkType: .ethernet, packets: 9,
                                                                dropped: nil, skipped: WireSkipCounts()),
                                    events: WireEventsSummary(file: "t.jsonl", lines: 2, events: 2, garbage: 0, ignored: 0, lost: 0))
            let whole = report.json()
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(whole)))
            let count = report.join.flows.count
            for split in 0...count {
                var pieces: [UInt8] = []
                report.json({ pieces += $0 }) { sink in
                    report.jsonFlows(split..<count, to: { _ in })  // rendered out of order, as on another core
                    report.jsonFlows(0..<split, to: sink)
                    report.jsonFlows(split..<count, to: sink)
                }
                XCTAssertEqual(pieces, whole, "split at \(split) of \(count)")
            }
            // The text report the same way: widths measured apart and combined, rows written apart.
            for style in [OutputStyle(colored: false), OutputStyle(colored: true)] {
                let text = report.text(style: style)
                for split in 0...count {
                    let first = report.textCells(0..<split), second = report.textCells(split..<count)
                    let widths = zip(first.widths, second.widths).map { max($0, $1) }
                    let pieces = report.textHeader(widths: widths, style: style) + report.textRows(first, widths: widths, style: style)
                        + report.textRows(second, widths: widths, style: style) + report.textSummary(style: style)
                    XCTAssertEqual(pieces, text, "text split at \(split) of \(count)")
                }
            }
        }
    }

    /// The table and the report's rows write names as fixed text: each must be the raw value the
    /// JSON and the schema spell.
    func testFixedTextNamesAreTheirRawValues() {
        for hook in TraceHook.allCases { XCTAssertEqual("\(hook.name)", hook.rawValue) }
        for transport in TransportProtocol.allCases { XCTAssertEqual("\(transport.name)", transport.rawValue) }
        for kind in AddressKind.allCases { XCTAssertEqual("\(kind.name)", kind.rawValue) }
        for outcome in TraceOutcomeKind.allCases { XCTAssertEqual("\(outcome.name)", outcome.rawValue) }
        for verdict in WireVerdict.allCases { XCTAssertEqual("\(verdict.name)", verdict.rawValue) }
    }
}
