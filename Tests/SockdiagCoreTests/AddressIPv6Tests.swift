import SockdiagCore
import XCTest

final class AddressIPv6Tests: XCTestCase {
    /// Input text, the eight groups it means, and its RFC 5952 canonical text.
    func testParsesAnySpellingAndPrintsTheCanonicalOne() throws {
        let table: [(String, [UInt16], String)] = [
            ("::", [0, 0, 0, 0, 0, 0, 0, 0], "::"),
            ("0:0:0:0:0:0:0:0", [0, 0, 0, 0, 0, 0, 0, 0], "::"),
            ("::1", [0, 0, 0, 0, 0, 0, 0, 1], "::1"),
            ("0000:0000:0000:0000:0000:0000:0000:0001", [0, 0, 0, 0, 0, 0, 0, 1], "::1"),
            ("1::", [1, 0, 0, 0, 0, 0, 0, 0], "1::"),
            ("2001:DB8::A", [0x2001, 0xDB8, 0, 0, 0, 0, 0, 0xA], "2001:db8::a"),
            ("2001:0db8:0000:0000:0000:0000:0002:0001", [0x2001, 0xDB8, 0, 0, 0, 0, 2, 1], "2001:db8::2:1"),
            // A single zero group is never shortened to '::' (RFC 5952 4.2.2).
            ("2001:db8:0:1:1:1:1:1", [0x2001, 0xDB8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"),
            ("2001:db8::1:1:1:1:1", [0x2001, 0xDB8, 0, 1, 1, 1, 1, 1], "2001:db8:0:1:1:1:1:1"),
            // The longest run wins; of equal runs, the first (4.2.3).
            ("2001:0:0:1:0:0:0:1", [0x2001, 0, 0, 1, 0, 0, 0, 1], "2001:0:0:1::1"),
            ("2001:db8:0:0:1:0:0:1", [0x2001, 0xDB8, 0, 0, 1, 0, 0, 1], "2001:db8::1:0:0:1"),
            ("1:2:3:4:5:6:7::", [1, 2, 3, 4, 5, 6, 7, 0], "1:2:3:4:5:6:7:0"),
            ("::2:3:4:5:6:7:8", [0, 2, 3, 4, 5, 6, 7, 8], "0:2:3:4:5:6:7:8"),
            ("fe80::1", [0xFE80, 0, 0, 0, 0, 0, 0, 1], "fe80::1"),
            ("FF02::1:FF00:1", [0xFF02, 0, 0, 0, 0, 1, 0xFF00, 1], "ff02::1:ff00:1"),
            // Embedded IPv4: dotted when mapped or compatible, hex groups otherwise.
            ("::ffff:1.2.3.4", [0, 0, 0, 0, 0, 0xFFFF, 0x0102, 0x0304], "::ffff:1.2.3.4"),
            ("::FFFF:0102:0304", [0, 0, 0, 0, 0, 0xFFFF, 0x0102, 0x0304], "::ffff:1.2.3.4"),
            ("::ffff:0:0", [0, 0, 0, 0, 0, 0xFFFF, 0, 0], "::ffff:0.0.0.0"),
            ("::1.2.3.4", [0, 0, 0, 0, 0, 0, 0x0102, 0x0304], "::1.2.3.4"),
            ("::0.0.1.2", [0, 0, 0, 0, 0, 0, 0, 0x0102], "::102"),
            ("64:ff9b::192.0.2.33", [0x64, 0xFF9B, 0, 0, 0, 0, 0xC000, 0x0221], "64:ff9b::c000:221"),
            ("1:2:3:4:5:6:1.2.3.4", [1, 2, 3, 4, 5, 6, 0x0102, 0x0304], "1:2:3:4:5:6:102:304"),
            ("::1:2:3:4:5:1.2.3.4", [0, 1, 2, 3, 4, 5, 0x0102, 0x0304], "0:1:2:3:4:5:102:304"),
            ("0:0:0:0:0:ffff:7f00:1", [0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1], "::ffff:127.0.0.1"),
        ]
        for (text, groups, canonical) in table {
            let address = try IPv6Address(parsing: text)
            XCTAssertEqual(address.groups, groups, text)
            XCTAssertEqual(address.description, canonical, text)
            XCTAssertEqual(try IPv6Address(parsing: canonical), address, "canonical text of \(text) parses back")
        }
    }

    func testZones() throws {
        let table: [(String, String, String)] = [
            ("fe80::1%eth0", "eth0", "fe80::1%eth0"),
            ("FE80::0001%enp0s31f6", "enp0s31f6", "fe80::1%enp0s31f6"),
            ("ff02::1%2", "2", "ff02::1%2"),
            ("fe80::1%veth-a.10@x", "veth-a.10@x", "fe80::1%veth-a.10@x"),
        ]
        for (text, zone, canonical) in table {
            let address = try IPv6Address(parsing: text)
            XCTAssertEqual(address.zone, zone, text)
            XCTAssertEqual(address.description, canonical)
            XCTAssertNil(address.withoutZone.zone)
        }
        XCTAssertNotEqual(try IPv6Address(parsing: "fe80::1%eth0"), try IPv6Address(parsing: "fe80::1%eth1"))
        XCTAssertEqual(try IPv6Address(parsing: "fe80::1%eth0").withoutZone, try IPv6Address(parsing: "fe80::1"))
    }

    func testRejectsBadTextAndSaysWhy() {
        let table: [(String, String)] = [
            ("", "it is empty"),
            ("%eth0", "it is empty"),
            ("fe80::1%", "the zone after '%' is empty"),
            ("fe80::1%eth 0", "the zone 'eth 0' has characters an interface name cannot have"),
            ("fe80::1%eth0%1", "the zone 'eth0%1' has characters an interface name cannot have"),
            ("1::2::3", "'::' may appear only once"),
            (":::", "a group between ':' is empty"),
            ("1:::2", "a group between ':' is empty"),
            (":1::2", "a group between ':' is empty"),
            ("1::2:", "a group between ':' is empty"),
            ("1:2:3:4:5:6:7", "expected 8 groups (or '::'), found 7"),
            ("1:2:3:4:5:6:7:8:9", "expected 8 groups (or '::'), found 9"),
            ("1:2:3:4::5:6:7:8", "too many groups around '::'"),
            ("::1:2:3:4:5:6:7:8", "too many groups around '::'"),
            ("12345::", "group '12345' has more than 4 hex digits"),
            ("00001::", "group '00001' has more than 4 hex digits"),
            ("g::1", "group 'g' is not hexadecimal"),
            ("+1::1", "group '+1' is not hexadecimal"),
            ("::-1", "group '-1' is not hexadecimal"),
            ("::ffff:1.2.3.4:5", "an embedded IPv4 address may only come last"),
            ("1.2.3.4::", "an embedded IPv4 address may only come last"),
            ("::ffff:1.2.3", "the embedded IPv4 '1.2.3' is not valid"),
            ("::ffff:1.2.3.256", "the embedded IPv4 '1.2.3.256' is not valid"),
            ("::ffff:01.2.3.4", "the embedded IPv4 '01.2.3.4' is not valid"),
            ("1:2:3:4:5:6:7:1.2.3.4", "expected 8 groups (or '::'), found 9"),
        ]
        for (text, why) in table {
            XCTAssertNil(IPv6Address(text), text)
            XCTAssertThrowsError(try IPv6Address(parsing: text), text) { error in
                XCTAssertEqual((error as? AddressParseError)?.description, "'\(text)' is not an IPv6 address: \(why)")
            }
        }
    }

    func testBytesGroupsAndHalvesAgree() throws {
        let address = try IPv6Address(parsing: "2001:db8:1:2:3:4:5:6")
        XCTAssertEqual(address.high, 0x2001_0DB8_0001_0002)
        XCTAssertEqual(address.low, 0x0003_0004_0005_0006)
        XCTAssertEqual(address.bytes, [0x20, 0x01, 0x0D, 0xB8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6])
        XCTAssertEqual(IPv6Address(networkBytes: address.bytes), address)
        XCTAssertEqual(IPv6Address(groups: address.groups), address)
    }

    func testMappingAndUnmapping() throws {
        let mapped = IPv6Address(mapping: IPv4Address(127, 0, 0, 1))
        XCTAssertEqual(mapped.description, "::ffff:127.0.0.1")
        XCTAssertTrue(mapped.isIPv4Mapped)
        XCTAssertEqual(mapped.unmapped, .loopback)
        XCTAssertNil(IPv6Address.loopback.unmapped)
        XCTAssertNil(try IPv6Address(parsing: "::1.2.3.4").unmapped, "compatible is not mapped")
        XCTAssertNil(try IPv6Address(parsing: "::1:ffff:1.2.3.4").unmapped)
        XCTAssertNil(try IPv6Address(parsing: "64:ff9b::1.2.3.4").unmapped)
    }

    func testPrefixMembership() throws {
        let address = try IPv6Address(parsing: "2001:db8:aaaa:bbbb:cccc::1")
        XCTAssertTrue(address.isIn(try IPv6Address(parsing: "2001:db8::"), length: 32))
        XCTAssertTrue(address.isIn(try IPv6Address(parsing: "2001:db8:aaaa:bbbb::"), length: 64))
        XCTAssertTrue(address.isIn(try IPv6Address(parsing: "2001:db8:aaaa:bbbb:cccc::"), length: 80))
        XCTAssertFalse(address.isIn(try IPv6Address(parsing: "2001:db8:aaaa:bbbb:cccd::"), length: 80))
        XCTAssertFalse(address.isIn(try IPv6Address(parsing: "2001:db8:aaaa:bbbc::"), length: 80))
        XCTAssertTrue(address.isIn(address, length: 128))
        XCTAssertFalse(address.isIn(try IPv6Address(parsing: "2001:db8:aaaa:bbbb:cccc::2"), length: 128))
        XCTAssertTrue(address.isIn(.any, length: 0))
    }

    func testGenericAddressPicksTheFamily() throws {
        XCTAssertEqual(try IPAddress(parsing: "10.1.2.3"), .v4(IPv4Address(10, 1, 2, 3)))
        XCTAssertEqual(try IPAddress(parsing: "::1"), .v6(.loopback))
        XCTAssertEqual(try IPAddress(parsing: "::ffff:10.1.2.3").unmapped, .v4(IPv4Address(10, 1, 2, 3)))
        XCTAssertEqual(try IPAddress(parsing: "::1").unmapped, .v6(.loopback))
        XCTAssertEqual(try IPAddress(parsing: "0.0.0.0").family, .inet)
        XCTAssertEqual(try IPAddress(parsing: "::").family, .inet6)
        XCTAssertTrue(try IPAddress(parsing: "0.0.0.0").isUnspecified)
        XCTAssertTrue(try IPAddress(parsing: "::").isUnspecified)
        XCTAssertFalse(try IPAddress(parsing: "::ffff:0.0.0.0").isUnspecified)
        XCTAssertTrue(try IPAddress(parsing: "::ffff:127.0.0.2").isLoopback)
        XCTAssertTrue(try IPAddress(parsing: "127.255.0.1").isLoopback)
        XCTAssertFalse(try IPAddress(parsing: "::2").isLoopback)
        XCTAssertLessThan(IPAddress.v4(.broadcast), IPAddress.v6(.any), "IPv4 sorts before IPv6")
    }

    func testGenericAddressErrorsNameTheFamilyTheTextLooksLike() {
        let table: [(String, String)] = [
            ("", "'' is not an IP address (expected IPv4 like 127.0.0.1 or IPv6 like ::1)"),
            ("localhost", "'localhost' is not an IP address (expected IPv4 like 127.0.0.1 or IPv6 like ::1)"),
            ("1.2.3", "'1.2.3' is not an IPv4 address: expected 4 dot-separated numbers, found 3"),
            ("12345", "'12345' is not an IPv4 address: expected 4 dot-separated numbers, found 1"),
            ("fe80::g", "'fe80::g' is not an IPv6 address: group 'g' is not hexadecimal"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try IPAddress(parsing: text), text) { error in
                XCTAssertEqual((error as? AddressParseError)?.description, message)
            }
        }
    }
}
