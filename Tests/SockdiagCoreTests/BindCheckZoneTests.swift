import XCTest
@testable import SockdiagCore

final class BindCheckZoneTests: XCTestCase {
    let interfaces = BindCheckInterfaces(index: { ["lo": 1, "eth0": 4, "25x": 9][$0] }, name: { [1: "lo", 4: "eth0", 9: "25x"][$0] })
    let linkLocal = [IPv6Address("fe80::2%eth0")!]

    func resolve(_ address: String) throws -> String {
        let query = BindCheckQuery(address: IPAddress(address)!, port: Port(80), transport: .tcp)
        return try query.resolvingZone(interfaces, linkLocal: linkLocal).address.description
    }

    func message(_ address: String) -> String {
        do { return try resolve(address) } catch { return "\(error)" }
    }

    func testZones() throws {
        XCTAssertEqual(try resolve("fe80::1%eth0"), "fe80::1%eth0")
        XCTAssertEqual(try resolve("fe80::1%4"), "fe80::1%4", "a numeric zone is the interface index")
        XCTAssertEqual(try resolve("fe80::1%25eth0"), "fe80::1%eth0", "URL form")
        XCTAssertEqual(try resolve("fe80::1%25x"), "fe80::1%25x", "an interface really named 25x is taken as it is")
        XCTAssertEqual(try resolve("::1"), "::1")
        XCTAssertEqual(try resolve("127.0.0.1"), "127.0.0.1")
        XCTAssertTrue(message("fe80::1%nosuchif").hasPrefix("no interface 'nosuchif' for the zone of fe80::1"), message("fe80::1%nosuchif"))
        XCTAssertTrue(message("fe80::1%7").contains("no interface '7'"), message("fe80::1%7"))
        XCTAssertTrue(message("fe80::1").contains("e.g. fe80::1%eth0"), message("fe80::1"))
        XCTAssertTrue(message("fe80::1").contains("EINVAL"), message("fe80::1"))
    }
}
