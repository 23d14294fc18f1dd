import XCTest
@testable import SockdiagCore

final class BindCheckQueryTests: XCTestCase {
    func query(_ args: [String]) throws -> BindCheckQuery { try BindCheckQuery(positionals: args, transport: .tcp) }

    func message(_ args: [String]) -> String {
        do { _ = try BindCheckQuery(positionals: args, transport: .tcp); return "" } catch { return error.description }
    }

    func testAcceptedForms() throws {
        XCTAssertEqual(try query(["::", "45000"]).socketAddressText, "[::]:45000")
        XCTAssertEqual(try query(["[::]:45000"]).socketAddressText, "[::]:45000")
        XCTAssertEqual(try query(["127.0.0.1:0"]).socketAddressText, "127.0.0.1:0")
        XCTAssertEqual(try query(["0.0.0.0", "80"]).address, .v4(.any))
        XCTAssertEqual(try query(["::ffff:127.0.0.1", "1"]).address.unmapped, .v4(.loopback))
        XCTAssertEqual(try query(["[::1]", "80"]).socketAddressText, "[::1]:80", "a bracketed address, then the port")
        XCTAssertEqual(try query(["[::]", "0"]).address, .v6(.any))
        XCTAssertEqual(try query(["[fe80::1%eth0]", "22"]).socketAddressText, "[fe80::1%eth0]:22")
    }

    func testBadInputSaysWhatIsWrong() {
        XCTAssertTrue(message(["::", "70000"]).contains("70000"))
        XCTAssertTrue(message(["::", "70000"]).contains("65535"))
        XCTAssertTrue(message(["1.2.3", "80"]).contains("'1.2.3' is not an IPv4 address"), message(["1.2.3", "80"]))
        XCTAssertTrue(message(["::"]).contains("missing port"), message(["::"]))
        XCTAssertTrue(message(["127.0.0.1"]).contains("missing port"))
        XCTAssertTrue(message(["[::1]:99999"]).contains("65535"))
        XCTAssertTrue(message(["::1:80"]).contains("write [::1]:80"), "an IPv6 address without brackets has no port: \(message(["::1:80"]))")
        XCTAssertFalse(message(["::1:80"]).contains("missing port after '::0.1.0.128'"))
        XCTAssertTrue(message(["fe80::1:443"]).contains("[fe80::1]:443"), message(["fe80::1:443"]))
        XCTAssertTrue(message(["2001:db8::1"]).hasPrefix("missing port after '2001:db8::1'"), message(["2001:db8::1"]))
        XCTAssertTrue(message([]).contains("missing ADDRESS"))
        XCTAssertTrue(message(["::", "-1"]).contains("not a port"))
        XCTAssertTrue(message(["[::1]"]).hasPrefix("missing port after '[::1]'"), message(["[::1]"]))
        XCTAssertTrue(message(["[::1]:"]).hasPrefix("missing port after '[::1]:'"), message(["[::1]:"]))
        XCTAssertTrue(message(["[::1]", "99999"]).contains("65535"), message(["[::1]", "99999"]))
        XCTAssertTrue(message(["[::g]", "80"]).contains("'::g' is not an IPv6 address"), message(["[::g]", "80"]))
        XCTAssertTrue(message(["[127.0.0.1]", "80"]).contains("brackets are for IPv6"), message(["[127.0.0.1]", "80"]))
        XCTAssertTrue(message(["[::1]:80", "81"]).contains("already names port 80"), message(["[::1]:80", "81"]))
        for bad in [["[::1]", "80"], ["[::1]"], ["[::g]", "80"]] {
            XCTAssertFalse(message(bad).contains("'['"), "no complaint about the bracket itself: \(message(bad))")
        }
    }

    func testPortRangeSysctl() {
        XCTAssertEqual(BindCheckSystem.parsePortRange("32768\t60999\n"), 32768...60999)
        XCTAssertNil(BindCheckSystem.parsePortRange("60999 32768"))
        XCTAssertNil(BindCheckSystem.parsePortRange("x"))
    }
}
