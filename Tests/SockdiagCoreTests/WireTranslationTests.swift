import XCTest
@testable import SockdiagCore

/// Both sides of a translated flow on one row: a CLAT's (AF_INET socket, IPv6 on the wire) and a
/// NAT64's (AF_INET6 socket to a prefix, IPv4 past the translator), from synthetic tables; the
/// real translators are in CompareWireTranslatorTests.
final class WireTranslationTests: XCTestCase, WireJoinBuilding {
    func joinWith(_ events: [WireKernelEvent], _ flows: [WireFlow], nat64: NAT64Prefixes = .builtIn) -> WireJoinResult {
        var kernel = WireKernelTable()
        events.forEach { kernel.add($0) }
        return WireJoin.join(kernel: kernel, wire: WireFlowTable(flows: flows), nat64: nat64)
    }

    let nsp = NAT64Option.Request(given: [try! NAT64Prefix(parsing: "fd00:6464::/96")]).prefixes()

    func testCLATRowJoinsBothSidesAndLearnsThePrefix() {
        for transport in [TransportProtocol.tcp, .udp] {
            var send = connect(1, .inet, "192.0.2.10", 80, transport: transport)
            if transport == .udp { send.kind = .sendmsg; send.hook = .sendmsg4 }
            let result = joinWith([send, egress(1, .inet, local: "192.0.0.2", 40000, remote: "192.0.2.10", 80)],
                                  [flow("192.0.0.2", 40000, "192.0.2.10", 80, first: 100, transport: transport),
                                   flow("fd00:c1a7::2", 40000, "fd00:6464::c000:20a", 80, first: 150, transport: transport),
                                   flow("fd00:c::2", 5000, "fd00:c::1", 9, first: 200, transport: .udp)])
            XCTAssertEqual(result.flows.map(\.verdict), [.clat, .wireOnly], "\(transport)")
            let row = result.flows[0]
            XCTAssertEqual(row.translation?.kind, .clat)
            XCTAssertEqual(row.translation?.ipv4, IPv4Address(192, 0, 2, 10))
            XCTAssertEqual(row.translation?.prefix.prefix.description, "fd00:6464::/96")
            XCTAssertEqual(row.translation?.prefix.source, .packets(ipv4: IPv4Address(192, 0, 2, 10), ipv6: try! IPv6Address(parsing: "fd00:6464::c000:20a")))
            XCTAssertEqual(row.beforeAndAfterTranslation?.after.key.isIPv6, true)
            XCTAssertEqual(result.rowOfWireFlow, [0, 0, 1])
            XCTAssertEqual(result.exitStatus, .problemFound)
            XCTAssertEqual(result.nat64.extra.map(\.prefix.description), ["fd00:6464::/96"])
        }
    }

    func testNAT64RowTakesThePoolSide() {
        for nat64 in [nsp, NAT64Prefixes.builtIn] {
            let result = joinWith([connect(1, .inet6, "fd00:6464::c000:20a", 80),
                                   egress(1, .inet6, local: "fd00:c::2", 40001, remote: "fd00:6464::c000:20a", 80)],
                                  [flow("fd00:c::2", 40001, "fd00:6464::c000:20a", 80, first: 100),
                                   flow("198.18.255.99", 40001, "192.0.2.10", 80, first: 130)], nat64: nat64)
            XCTAssertEqual(result.flows.map(\.verdict), [.nat64])
            XCTAssertEqual(result.flows[0].translation?.kind, .nat64)
            XCTAssertEqual(result.flows[0].translated?.key.source, address("198.18.255.99"))
            XCTAssertEqual(result.flows[0].kernel?.addressKind, .nat64)
            XCTAssertEqual(result.exitStatus, .ok)
        }
        // Given, the prefix makes the verdict even when the capture saw only the IPv6 side.
        let oneSide = joinWith([connect(1, .inet6, "fd00:6464::c000:20a", 80),
                                egress(1, .inet6, local: "fd00:c::2", 40001, remote: "fd00:6464::c000:20a", 80)],
                               [flow("fd00:c::2", 40001, "fd00:6464::c000:20a", 80, first: 100)], nat64: nsp)
        XCTAssertEqual(oneSide.flows.map(\.verdict), [.nat64])
        XCTAssertNil(oneSide.flows[0].translation)
    }

    func testUntracedTranslationIsOneWireOnlyRow() {
        let result = joinWith([], [flow("fd00:c::2", 40002, "fd00:6464::c000:20a", 80, first: 100),
                                   flow("198.18.255.99", 40002, "192.0.2.10", 80, first: 120)])
        XCTAssertEqual(result.flows.map(\.verdict), [.wireOnly])
        XCTAssertEqual(result.flows[0].translation?.kind, .nat64)
        XCTAssertEqual(result.rowOfWireFlow, [0, 0])
    }

    /// A translator that changes ports (NAPT) is followed only through a known prefix, by time.
    func testPortChangingTranslatorNeedsAKnownPrefix() {
        let flows = [flow("fd00:c::2", 40003, "fd00:6464::c000:20a", 80, first: 100),
                     flow("198.18.255.1", 61000, "192.0.2.10", 80, first: 120),
                     flow("198.18.255.1", 61001, "192.0.2.10", 80, first: 5_000_000_000)]
        XCTAssertEqual(joinWith([], flows).flows.count, 3)
        let known = joinWith([], flows, nat64: nsp)
        XCTAssertEqual(known.flows.count, 2)
        XCTAssertEqual(known.flows[0].translated?.key.sourcePort, 61000)
    }

    /// Same ports, no embedding; or embedding, but seconds apart: not a translation.
    func testUnrelatedFlowsStaySame() {
        let result = joinWith([connect(1, .inet, "10.0.0.2", 443), egress(1, .inet, local: "10.0.0.1", 40004, remote: "10.0.0.2", 443)],
                              [flow("10.0.0.1", 40004, "10.0.0.2", 443, first: 100),
                               flow("2001:db8::1", 40004, "2001:db8::2", 443, first: 110),
                               flow("fd00:c1a7::2", 40004, "fd00:6464::a00:2", 443, first: 3_000_000_000)])
        XCTAssertEqual(result.flows.map(\.verdict), [.same, .wireOnly, .wireOnly])
        XCTAssertTrue(result.nat64.isBuiltIn)
    }

    func testReportsNameTheTranslation() throws {
        let result = joinWith([connect(1, .inet, "192.0.2.10", 80), egress(1, .inet, local: "192.0.0.2", 40000, remote: "192.0.2.10", 80)],
                              [flow("192.0.0.2", 40000, "192.0.2.10", 80, first: 100),
                               flow("fd00:c1a7::2", 40000, "fd00:6464::c000:20a", 80, first: 150)])
        var capture = WireCaptureSummary(file: nil, interface: "any", linkType: .linuxCooked2, packets: 16, dropped: 0, skipped: WireSkipCounts())
        capture.interfaceNames = [3: "clat0"]
        let report = WireReport(join: result, capture: capture,
                                events: WireEventsSummary(file: nil, lines: 0, events: 2, garbage: 0, ignored: 0, lost: 0))
        let text = String(decoding: report.text(), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("NAT64 prefixes: fd00:6464::/96 (learned from packets: 192.0.2.10 seen as fd00:6464::c000:20a); 64:ff9b::/96"), text)
        XCTAssertTrue(text.contains("inet 192.0.2.10:80 (connect4)  IPv4 tcp 192.0.0.2:40000 -> 192.0.2.10:80, 8 pkts => IPv6 tcp [fd00:c1a7::2]:40000 -> [fd00:6464::c000:20a]:80, 8 pkts (CLAT, prefix fd00:6464::/96 learned from packets)"), text)
        XCTAssertTrue(text.contains("1 clat"), text)
        XCTAssertTrue(text.contains("IPv4 capture filter"), text)
        let json = try JSONSerialization.jsonObject(with: Data(report.json())) as! [String: Any]
        let row = (json["flows"] as! [[String: Any]])[0]
        XCTAssertEqual((row["wire"] as! [String: Any])["protocol"] as? String, "ipv6")
        let translation = row["translation"] as! [String: Any]
        XCTAssertEqual(translation["kind"] as? String, "clat")
        XCTAssertEqual(translation["prefix_source"] as? String, "packets")
        XCTAssertEqual((translation["ipv4_side"] as! [String: Any])["src"] as? String, "192.0.0.2")
        XCTAssertEqual((json["summary"] as! [String: Any])["clat"] as? Int, 1)
        XCTAssertEqual((json["nat64_prefixes"] as! [[String: Any]]).first?["prefix"] as? String, "fd00:6464::/96")
        let comment = String(decoding: result.flows[0].pcapngComment, as: UTF8.self)
        XCTAssertTrue(comment.hasSuffix("verdict clat; translated by a CLAT: IPv4 192.0.0.2:40000 -> 192.0.2.10:80 => IPv6 [fd00:c1a7::2]:40000 -> [fd00:6464::c000:20a]:80, prefix fd00:6464::/96 (learned from packets: 192.0.2.10 seen as fd00:6464::c000:20a)"), comment)
    }
}
