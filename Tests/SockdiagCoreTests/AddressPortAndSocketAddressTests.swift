import SockdiagCore
import XCTest

final class AddressPortAndSocketAddressTests: XCTestCase {
    func testPortsZeroToMax() throws {
        let table: [(String, UInt16)] = [("0", 0), ("1", 1), ("80", 80), ("45000", 45000), ("65535", 65535), ("00080", 80), ("000000443", 443)]
        for (text, value) in table {
            XCTAssertEqual(try Port(parsing: text).value, value, text)
        }
        XCTAssertEqual(Port(65535).description, "65535")
        XCTAssertLessThan(Port(79), Port(80))
    }

    func testPortErrorsSayWhatIsWrong() {
        let table: [(String, String)] = [
            ("", "'' is not a port: it is empty"),
            ("70000", "'70000' is not a port: it is out of range: ports run from 0 to 65535"),
            ("65536", "'65536' is not a port: it is out of range: ports run from 0 to 65535"),
            ("99999999999999999999999", "'99999999999999999999999' is not a port: it is out of range: ports run from 0 to 65535"),
            ("-1", "'-1' is not a port: expected a decimal number from 0 to 65535"),
            ("abc", "'abc' is not a port: expected a decimal number from 0 to 65535"),
            ("+80", "'+80' is not a port: expected a decimal number from 0 to 65535"),
            (" 80", "' 80' is not a port: expected a decimal number from 0 to 65535"),
            ("0x50", "'0x50' is not a port: expected a decimal number from 0 to 65535"),
            ("http", "'http' is not a port: expected a decimal number from 0 to 65535"),
            ("８０", "'８０' is not a port: expected a decimal number from 0 to 65535"),
        ]
        for (text, message) in table {
            XCTAssertThrowsError(try Port(parsing: text), text) { error in
                XCTAssertEqual((error as? AddressParseError)?.description, message)
            }
        }
    }

    func testSocketAddressesParseAndPrint() throws {
        let table: [(String, IPAddress, UInt16, String)] = [
            ("1.2.3.4:80", .v4(IPv4Address(1, 2, 3, 4)), 80, "1.2.3.4:80"),
            ("0.0.0.0:0", .v4(.any), 0, "0.0.0.0:0"),
            ("[::1]:45000", .v6(.loopback), 45000, "[::1]:45000"),
            ("[::]:65535", .v6(.any), 65535, "[::]:65535"),
            ("[0:0:0:0:0:ffff:7f00:1]:8080", .v6(IPv6Address(mapping: .loopback)), 8080, "[::ffff:127.0.0.1]:8080"),
            ("[FE80::1%eth0]:22", .v6(IPv6Address(high: 0xFE80_0000_0000_0000, low: 1, zone: "eth0")), 22, "[fe80::1%eth0]:22"),
        ]
        for (text, address, port, canonical) in table {
            let parsed = try SocketAddress(parsing: text)
            XCTAssertEqual(parsed.address, address, text)
            XCTAssertEqual(parsed.port, Port(port), text)
            XCTAssertEqual(parsed.description, canonical)
            XCTAssertEqual(try SocketAddress(parsing: canonical), parsed)
        }
        XCTAssertEqual(try SocketAddress(parsing: "[::1]:1").family, .inet6)
        XCTAssertEqual(try SocketAddress(parsing: "127.0.0.1:1").family, .inet)
    }

    func testSocketAddressErrorsSayWhatIsWrong() {
        let table: [(String, String)] = [
            ("", "expected ADDRESS:PORT, such as 127.0.0.1:80 or [::1]:80"),
            ("1.2.3.4", "expected ADDRESS:PORT, such as 127.0.0.1:80 or [::1]:80"),
            ("::1:80", "an IPv6 address with a port needs brackets: [ADDRESS]:PORT"),
            ("[::1", "'[' has no matching ']'"),
            ("[::1]", "expected ':PORT' after ']'"),
            ("[::1]:", "expected ':PORT' after ']'"),
            ("[::1]80", "expected ':PORT' after ']'"),
            ("[::1]]:80", "expected ':PORT' after ']'"),
            ("[::1]:70000", "'70000' is not a port: it is out of range: ports run from 0 to 65535"),
            ("[::1]:-1", "'-1' is not a port: expected a decimal number from 0 to 65535"),
            ("1.2.3.4:abc", "'abc' is not a port: expected a decimal number from 0 to 65535"),
            ("1.2.3.4:", "'' is not a port: it is empty"),
            (":80", "'' is not an IPv4 address: it is empty"),
            ("[1.2.3.4]:80", "'1.2.3.4' is not an IPv6 address: expected 8 groups (or '::'), found 2"),
            ("1.2.3.256:80", "'1.2.3.256' is not an IPv4 address: 256 is larger than 255"),
            ("[fe80::1%]:22", "'fe80::1%' is not an IPv6 address: the zone after '%' is empty"),
        ]
        for (text, why) in table {
            XCTAssertThrowsError(try SocketAddress(parsing: text), text) { error in
                XCTAssertEqual((error as? AddressParseError)?.description, "'\(text)' is not a socket address: \(why)")
            }
        }
    }
}
