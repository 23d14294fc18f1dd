import XCTest
@testable import SockdiagCore

final class WireAddressTests: XCTestCase {
    func parse(_ text: String) -> WireAddress? { Array(text.utf8).withUnsafeBytes { WireAddress.parse($0) } }

    func testTextRoundTripsLikeTheAddressModel() {
        for text in ["0.0.0.0", "127.0.0.1", "255.255.255.255", "::", "::1", "::ffff:10.0.0.2", "64:ff9b::a00:2",
                     "2001:db8::1", "fe80::1:2:3:4", "2001:db8:0:1:1:1:1:1", "1::", "1:0:0:2::3", "::1.2.3.4"] {
            guard let parsed = parse(text) else { XCTFail("not parsed: \(text)"); continue }
            XCTAssertEqual(parsed.description, text)
            XCTAssertEqual(parsed.ipAddress, IPAddress(text), text)
        }
        XCTAssertEqual(parse("fe80::1%eth0")?.description, "fe80::1")
        XCTAssertEqual(parse("2001:DB8::A")?.description, "2001:db8::a")
    }

    func testBadTextIsRejected() {
        for text in ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "1.2.3.4x", ":", ":::", "1::2::3", "12345::",
                     "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::ffff:1.2.3", "g::1", "1:", "1:2:3:4:5:6:7:8::"] {
            XCTAssertNil(parse(text), text)
        }
    }

    /// IPv4-mapped text is read by its IPv4 part first: the same address as the general reading
    /// gives (upper-case hex takes that), and the same rejections.
    func testMappedTextReadsAsTheGeneralReading() {
        for v4 in ["0.0.0.0", "127.0.0.1", "10.0.0.2", "255.255.255.255"] {
            XCTAssertNotNil(parse("::ffff:" + v4), v4)
            XCTAssertEqual(parse("::ffff:" + v4), parse("::FFFF:" + v4), v4)
            XCTAssertEqual(parse("::ffff:" + v4 + "%lo"), parse("::ffff:" + v4), v4)
        }
        XCTAssertEqual(parse("::ffff:7f00:1"), parse("::ffff:127.0.0.1"))
        for text in ["::ffff:01.2.3.4", "::ffff:1.2.3.4.5", "::ffff:256.0.0.1", "::ffff:1.2.3.", "::ffff:", "::ffff:1.2.3.4x"] {
            XCTAssertNil(parse(text), text)
        }
    }

    func testUnmapping() {
        XCTAssertEqual(parse("::ffff:127.0.0.1")?.unmapped, parse("127.0.0.1"))
        XCTAssertEqual(parse("::1")?.unmapped, parse("::1"))
        XCTAssertEqual(parse("64:ff9b::7f00:1")?.unmapped, parse("64:ff9b::7f00:1"))
    }

    func testSocketAddressText() {
        var out: [UInt8] = []
        parse("::1")!.write(port: 443, to: &out)
        out.append(0x20)
        parse("10.0.0.2")!.write(port: 0, to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "[::1]:443 10.0.0.2:0")
    }

    func testPcapngBlocksAreWellFormed() {
        let shb = WirePcapngEncoder.sectionHeader(application: "sockdiag test")
        let idb = WirePcapngEncoder.interfaceDescription(linkType: .linuxCooked2, snapLength: 65535, name: "any")
        var epb: [UInt8] = []
        let packet: [UInt8] = [1, 2, 3, 4, 5]
        packet.withUnsafeBytes {
            WirePcapngEncoder.enhancedPacket(timeNs: 1_700_000_000_123_456_789, packet: $0, originalLength: 60,
                                             comment: Array("pid 1 (x)".utf8), to: &epb)
        }
        func u32(_ b: [UInt8], _ at: Int) -> UInt32 { b[at..<at + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
        for block in [shb, idb, epb] {
            XCTAssertEqual(block.count % 4, 0)
            XCTAssertEqual(Int(u32(block, 4)), block.count, "leading length")
            XCTAssertEqual(Int(u32(block, block.count - 4)), block.count, "trailing length")
        }
        XCTAssertEqual(u32(shb, 0), 0x0A0D_0D0A)
        XCTAssertEqual(u32(idb, 8) & 0xFFFF, 276)
        XCTAssertEqual(u32(epb, 0), 6)
        XCTAssertEqual(UInt64(u32(epb, 12)) << 32 | UInt64(u32(epb, 16)), 1_700_000_000_123_456_789)
        XCTAssertEqual(u32(epb, 20), 5)
        XCTAssertEqual(u32(epb, 24), 60)
        XCTAssertTrue(String(decoding: epb, as: UTF8.self).contains("pid 1 (x)"))
    }

    /// Decimal text two digits at a time, checked against the standard library at every power of
    /// ten, its neighbours, the extremes and a spread of values between.
    func testDecimalTextMatchesTheStandardLibrary() {
        var values: [UInt64] = [0, 1, 9, 10, 11, 99, 100, 101, 999, UInt64.max, UInt64.max - 1]
        var power: UInt64 = 1
        for _ in 0..<19 {
            power *= 10
            values += [power - 1, power, power + 1]
        }
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<10_000 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(x >> (x & 63))
        }
        for value in values {
            var out: [UInt8] = []
            WireText.decimal(value, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), String(value))
        }
    }
}
