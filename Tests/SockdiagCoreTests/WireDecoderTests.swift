import XCTest
@testable import SockdiagCore

final class WireDecoderTests: XCTestCase {
    typealias B = WirePacketBuilder
    let tcp4 = B.ipv4(B.v4a, B.v4b, protocol: 6, payload: B.tcp(40000, 443))
    let tcp6 = B.ipv6(B.v6a, B.v6b, next: 6, payload: B.tcp(40001, 443))

    func assertFlow(_ decoded: WireDecoded, _ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16,
                    transport: TransportProtocol = .tcp, file: StaticString = #filePath, line: UInt = #line) {
        guard let packet = decoded.packet else { return XCTFail("skipped: \(String(describing: decoded.skipReason))", file: file, line: line) }
        XCTAssertEqual(packet.key.source.description, src, file: file, line: line)
        XCTAssertEqual(packet.key.sourcePort, sport, file: file, line: line)
        XCTAssertEqual(packet.key.destination.description, dst, file: file, line: line)
        XCTAssertEqual(packet.key.destinationPort, dport, file: file, line: line)
        XCTAssertEqual(packet.key.transport, transport, file: file, line: line)
    }

    func testEveryLinkTypeCarriesIPv4AndIPv6() {
        let cases: [(WireLinkType, [UInt8], [UInt8])] = [
            (.ethernet, B.ethernet(0x0800, tcp4), B.ethernet(0x86DD, tcp6)),
            (.linuxCooked, B.linuxCooked(0x0800, tcp4), B.linuxCooked(0x86DD, tcp6)),
            (.linuxCooked2, B.linuxCooked2(0x0800, tcp4), B.linuxCooked2(0x86DD, tcp6)),
            (.raw, tcp4, tcp6),
            (.null, [2, 0, 0, 0] + tcp4, [30, 0, 0, 0] + tcp6),  // little-endian host, Darwin's AF_INET6
            (.null, [0, 0, 0, 2] + tcp4, [0, 0, 0, 10] + tcp6),  // big-endian host
            (.loop, [0, 0, 0, 2] + tcp4, [0, 0, 0, 24] + tcp6),
        ]
        for (link, v4, v6) in cases {
            let decoder = WirePacketDecoder(linkType: link)
            assertFlow(decoder.decode(v4), "10.0.0.1", 40000, "10.0.0.2", 443)
            assertFlow(decoder.decode(v6), "2001:db8::1", 40001, "2001:db8::2", 443)
            XCTAssertEqual(decoder.decode(v4).packet?.ipLength, UInt32(tcp4.count), "\(link)")
            XCTAssertEqual(decoder.decode(v6).packet?.key.isIPv6, true, "\(link)")
        }
    }

    func testDataLinkTypeNumbers() {
        XCTAssertEqual(WireLinkType(dataLinkType: 1), .ethernet)
        XCTAssertEqual(WireLinkType(dataLinkType: 113), .linuxCooked)
        XCTAssertEqual(WireLinkType(dataLinkType: 276), .linuxCooked2)
        XCTAssertEqual(WireLinkType(dataLinkType: 12), .raw)
        XCTAssertEqual(WireLinkType(dataLinkType: 101), .raw)
        XCTAssertEqual(WireLinkType(dataLinkType: 0), .null)
        XCTAssertEqual(WireLinkType(dataLinkType: 108), .loop)
        XCTAssertNil(WireLinkType(dataLinkType: 127))  // radiotap
    }

    func testVLANTagsAreSkippedAndTooManyAreMalformed() {
        let decoder = WirePacketDecoder(linkType: .ethernet)
        assertFlow(decoder.decode(B.ethernet(0x0800, vlanTags: [100], tcp4)), "10.0.0.1", 40000, "10.0.0.2", 443)
        assertFlow(decoder.decode(B.ethernet(0x86DD, vlanTags: [100, 200], tcp6)), "2001:db8::1", 40001, "2001:db8::2", 443)
        XCTAssertEqual(decoder.decode(B.ethernet(0x0800, vlanTags: Array(repeating: 7, count: 9), tcp4)).skipReason, .malformed)
        let cut = B.ethernet(0x0800, vlanTags: [100], []).dropLast(2)
        XCTAssertEqual(decoder.decode(Array(cut)).skipReason, .truncated)
    }

    func testIPv6ExtensionHeadersBeforeTheTransport() {
        let decoder = WirePacketDecoder(linkType: .raw)
        let hopByHop: [UInt8] = [43, 0, 1, 4, 0, 0, 0, 0]  // next: routing; 8 bytes
        let routing: [UInt8] = [60, 0, 0, 0, 0, 0, 0, 0]   // next: destination options
        let destination: [UInt8] = [51, 1] + [UInt8](repeating: 0, count: 14)  // next: AH; 16 bytes
        let auth: [UInt8] = [17, 1, 0, 0] + [UInt8](repeating: 0, count: 8)     // next: UDP; (1+2)*4 = 12 bytes
        let packet = B.ipv6(B.v6a, B.v6b, next: 0, payload: hopByHop + routing + destination + auth + B.udp(5353, 53))
        assertFlow(decoder.decode(packet), "2001:db8::1", 5353, "2001:db8::2", 53, transport: .udp)
        let icmp = B.ipv6(B.v6a, B.v6b, next: 58, payload: [128, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(decoder.decode(icmp).skipReason, .otherTransport)
        let esp = B.ipv6(B.v6a, B.v6b, next: 50, payload: [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(decoder.decode(esp).skipReason, .otherTransport)
        // An extension header whose length runs past the packet.
        let lying = B.ipv6(B.v6a, B.v6b, next: 0, payload: [6, 200, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(decoder.decode(lying).skipReason, .malformed)
    }

    func testFragments() {
        let decoder = WirePacketDecoder(linkType: .raw)
        let first = B.ipv4(B.v4a, B.v4b, protocol: 17, payload: B.udp(1000, 2000, payload: 32), moreFragments: true)
        assertFlow(decoder.decode(first), "10.0.0.1", 1000, "10.0.0.2", 2000, transport: .udp)
        let later = B.ipv4(B.v4a, B.v4b, protocol: 17, payload: [UInt8](repeating: 9, count: 16), fragmentOffset: 5)
        XCTAssertEqual(decoder.decode(later).skipReason, .laterFragment)
        let firstV6 = B.ipv6(B.v6a, B.v6b, next: 44, payload: [17, 0, 0x00, 0x01, 0, 0, 0, 1] + B.udp(1000, 2000))
        assertFlow(decoder.decode(firstV6), "2001:db8::1", 1000, "2001:db8::2", 2000, transport: .udp)
        let laterV6 = B.ipv6(B.v6a, B.v6b, next: 44, payload: [17, 0, 0x00, 0x28, 0, 0, 0, 1] + [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(decoder.decode(laterV6).skipReason, .laterFragment)
    }

    func testIPv4OptionsAreSkipped() {
        let packet = B.ipv4(B.v4a, B.v4b, protocol: 6, payload: B.tcp(1, 2), headerWords: 7)
        assertFlow(WirePacketDecoder(linkType: .raw).decode(packet), "10.0.0.1", 1, "10.0.0.2", 2)
    }

    func testTruncatedAndLyingHeaders() {
        let decoder = WirePacketDecoder(linkType: .ethernet)
        let frame = B.ethernet(0x0800, tcp4)
        // Every prefix is either a flow or a counted skip, never a crash or a read past the end.
        for cut in 0..<frame.count {
            let decoded = decoder.decode(Array(frame.prefix(cut)), originalLength: frame.count)
            if cut < 14 + 20 + 4 { XCTAssertEqual(decoded.skipReason, .truncated, "cut at \(cut)") }
            else { XCTAssertNotNil(decoded.packet, "cut at \(cut)") }
        }
        let raw = WirePacketDecoder(linkType: .raw)
        // Total length larger than the packet on the wire.
        XCTAssertEqual(raw.decode(B.ipv4(B.v4a, B.v4b, protocol: 6, payload: B.tcp(1, 2), totalLength: 1500)).skipReason, .malformed)
        // Header length below the minimum.
        XCTAssertEqual(raw.decode(B.ipv4(B.v4a, B.v4b, protocol: 6, payload: B.tcp(1, 2), headerWords: 4)).skipReason, .malformed)
        // Header length past the total length.
        XCTAssertEqual(raw.decode(B.ipv4(B.v4a, B.v4b, protocol: 6, payload: B.tcp(1, 2), totalLength: 22)).skipReason, .malformed)
        // IPv6 payload length larger than the packet.
        XCTAssertEqual(raw.decode(B.ipv6(B.v6a, B.v6b, next: 6, payload: B.tcp(1, 2), payloadLength: 9000)).skipReason, .malformed)
        // A version nibble that contradicts the EtherType.
        XCTAssertEqual(decoder.decode(B.ethernet(0x0800, tcp6)).skipReason, .malformed)
        // Snapshot length cut the packet: the header's length stands, the ports are still there.
        let long = B.ipv4(B.v4a, B.v4b, protocol: 6, payload: B.tcp(1, 2) + [UInt8](repeating: 0, count: 1000))
        XCTAssertEqual(raw.decode(Array(long.prefix(64)), originalLength: long.count).packet?.ipLength, UInt32(long.count))
    }

    func testOtherProtocolsAreCountedAsNotIP() {
        let decoder = WirePacketDecoder(linkType: .ethernet)
        XCTAssertEqual(decoder.decode(B.ethernet(0x0806, [UInt8](repeating: 0, count: 28))).skipReason, .notIP)
        XCTAssertEqual(WirePacketDecoder(linkType: .null).decode([7, 0, 0, 0] + tcp4).skipReason, .notIP)
        XCTAssertEqual(WirePacketDecoder(linkType: .raw).decode([0x50] + tcp4).skipReason, .notIP)
        XCTAssertEqual(WirePacketDecoder(linkType: .linuxCooked).decode([0, 4, 0x03, 0x38] + [UInt8](repeating: 0, count: 10) + [0x08, 0] + tcp4).skipReason, .notIP)
    }

    func testFlowTableJoinsDirectionsAndOrientsFromTheOpener() {
        let decoder = WirePacketDecoder(linkType: .raw)
        var table = WireFlowTable()
        // The SYN-ACK arrives first (capture started mid-handshake): the flow still points client -> server.
        let synAck = B.ipv4(B.v4b, B.v4a, protocol: 6, payload: B.tcp(443, 40000, flags: 0x12))
        let ack = B.ipv4(B.v4a, B.v4b, protocol: 6, payload: B.tcp(40000, 443, flags: 0x10))
        table.record(decoder.decode(synAck), time: 100)
        table.record(decoder.decode(ack), time: 300)
        table.record(decoder.decode(ack), time: 200)
        table.record(decoder.decode([0x45]), time: 400)
        XCTAssertEqual(table.flows.count, 1)
        let flow = table.flows[0]
        XCTAssertEqual(flow.key.source.description, "10.0.0.1")
        XCTAssertEqual(flow.key.sourcePort, 40000)
        XCTAssertEqual(flow.packets, 3)
        XCTAssertEqual(flow.bytes, UInt64(synAck.count + 2 * ack.count))
        XCTAssertEqual(flow.firstTime, 100)
        XCTAssertEqual(flow.lastTime, 300)
        XCTAssertEqual(table.packets, 4)
        XCTAssertEqual(table.skipped.truncated, 1)
        XCTAssertEqual(table.flowIndex(for: flow.key.reversed), 0)
    }
}
