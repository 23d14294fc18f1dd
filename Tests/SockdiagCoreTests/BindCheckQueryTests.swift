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
    }

    func testBadInputSaysWhatIsWrong() {
        XCTAssertTrue(message(["::", "70000"]).contains("70000"))
        XCTAssertTrue(message(["::", "70000"]).contains("65535"))
        XCTAssertTrue(message(["1.2.3", "80"]).contains("'1.2.3' is not an IPv4 address"), message(["1.2.3", "80"]))
        XCTAssertTrue(message(["::"]).contains("missing port"), message(["::"]))
        XCTAssertTrue(message(["127.0.0.1"]).contains("missing port"))
        XCTAssertTrue(message(["[::1]:99999"]).contains("65535"))
        XCTAssertTrue(message(["::1:80"]).contains("missing port"), "an IPv6 address without brackets has no port")
        XCTAssertTrue(message([]).contains("missing ADDRESS"))
        XCTAssertTrue(message(["::", "-1"]).contains("not a port"))
    }

    func testPortRangeSysctl() {
        XCTAssertEqual(BindCheckSystem.parsePortRange("32768\t60999\n"), 32768...60999)
        XCTAssertNil(BindCheckSystem.parsePortRange("60999 32768"))
        XCTAssertNil(BindCheckSystem.parsePortRange("x"))
    }
}
