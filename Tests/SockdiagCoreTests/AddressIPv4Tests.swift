import SockdiagCore
import XCTest

final class AddressIPv4Tests: XCTestCase {
    func testParsesAndPrintsDottedQuads() throws {
        let table: [(String, UInt32)] = [
            ("0.0.0.0", 0),
            ("127.0.0.1", 0x7F00_0001),
            ("1.2.3.4", 0x0102_0304),
            ("10.0.0.255", 0x0A00_00FF),
            ("192.168.100.200", 0xC0A8_64C8),
            ("255.255.255.255", 0xFFFF_FFFF),
        ]
        for (text, value) in table {
            let address = try IPv4Address(parsing: text)
            XCTAssertEqual(address.value, value, text)
            XCTAssertEqual(address.description, text)
        }
    }

    func testOctetsAndNetworkBytesAgree() {
        let address = IPv4Address(192, 0, 2, 33)
        XCTAssertEqual(address.octets, [192, 0, 2, 33])
        XCTAssertEqual(IPv4Address(networkBytes: [192, 0, 2, 33]), address)
        XCTAssertEqual(address.networkOrderValue, UInt32(0xC000_0221).bigEndian)
    }

    func testRejectsWhatInetPtonRejectsAndSaysWhy() {
        let table: [(String, String)] = [
            ("", "it is empty"),
            ("1.2.3", "expected 4 dot-separated numbers, found 3"),
            ("1.2.3.4.5", "expected 4 dot-separated numbers, found 5"),
            ("1.2.3.4.", "expected 4 dot-separated numbers, found 5"),
            ("1..3.4", "an octet is empty"),
            ("256.1.1.1", "256 is larger than 255"),
            ("1.2.3.999", "999 is larger than 255"),
            ("01.2.3.4", "'01' has a leading zero"),
            ("1.2.3.00", "'00' has a leading zero"),
            ("1.2.3.a", "'a' is not a decimal number"),
            ("1.2.3.-4", "'-4' is not a decimal number"),
            (" 1.2.3.4", "' 1' is not a decimal number"),
            ("0x7f.0.0.1", "'0x7f' is not a decimal number"),
            ("1.2.3.٤", "'٤' is not a decimal number"),
        ]
        for (text, why) in table {
            XCTAssertNil(IPv4Address(text), text)
            XCTAssertThrowsError(try IPv4Address(parsing: text), text) { error in
                XCTAssertEqual((error as? AddressParseError)?.description, "'\(text)' is not an IPv4 address: \(why)")
            }
        }
    }

    func testPrefixMembership() {
        let address = IPv4Address(172, 31, 255, 1)
        XCTAssertTrue(address.isIn(IPv4Address(172, 16, 0, 0), length: 12))
        XCTAssertFalse(address.isIn(IPv4Address(172, 32, 0, 0), length: 12))
        XCTAssertTrue(address.isIn(IPv4Address(172, 31, 255, 1), length: 32))
        XCTAssertFalse(address.isIn(IPv4Address(172, 31, 255, 0), length: 32))
        XCTAssertTrue(address.isIn(.any, length: 0))
    }

    func testOrdersByNumericValue() {
        XCTAssertLessThan(IPv4Address(9, 255, 255, 255), IPv4Address(10, 0, 0, 0))
        XCTAssertLessThan(IPv4Address(10, 0, 0, 2), IPv4Address(10, 0, 0, 10))
    }
}
