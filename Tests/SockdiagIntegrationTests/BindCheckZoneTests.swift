import Foundation
import XCTest
import SockdiagCore
import SockdiagSystem

/// Link-local addresses and their zones, on a veth in a namespace of the test's own: a name, an
/// interface index and a URL-encoded zone all reach the kernel as the right scope id; a missing
/// or unknown zone is a usage error.
final class BindCheckZoneTests: XCTestCase {
    var namespace: TestNamespace!
    var index = 0

    override func setUpWithError() throws {
        try requirePrivileges()
        namespace = try TestNamespace("zone")
        try namespace.run(["ip", "link", "add", "sdz0", "type", "veth", "peer", "name", "sdz1"])
        try namespace.run(["ip", "link", "set", "sdz0", "up"])
        try namespace.run(["ip", "addr", "add", "fe80::1/64", "dev", "sdz0", "nodad"])
        let link = try namespace.run(["ip", "-o", "link", "show", "sdz0"])
        index = try XCTUnwrap(Int(link.stdout.prefix { $0 != ":" }), link.stdout)
    }

    override func tearDown() { namespace?.remove() }

    func check(_ arguments: [String]) throws -> CommandResult {
        try Sockdiag.run(["bind-check", "--netns", namespace.name] + arguments)
    }

    func testZonesByNameIndexAndURLFormBindOnTheInterface() throws {
        let port = 46450
        for zone in ["sdz0", String(index), "25sdz0"] {
            let result = try check(["--json", "fe80::1%\(zone)", String(port)])
            let doc = try XCTUnwrap(result.json as? [String: Any], "\(zone): \(result.stderr)")
            let trials = doc["trials"] as? [[String: Any]] ?? []
            XCTAssertEqual(trials.count, 6, zone)
            XCTAssertTrue(trials.allSatisfy { $0["result"] as? String == "ok" }, "\(zone): \(trials.map { $0["result"] ?? "" })")
            XCTAssertEqual(result.status, 0, "\(zone): \(doc["verdict"] ?? "")")
        }
        // The bind really lands on sdz0: a holder there (bound to the device, which stands for the
        // scope id) makes the same query fail.
        let holder = try BindCheckHolder("fe80::1", port, device: "sdz0", prefix: namespace.exec)
        defer { holder.stop() }
        for zone in [String(index), "25sdz0"] {
            let doc = try XCTUnwrap(try check(["--json", "fe80::1%\(zone)", String(port)]).json as? [String: Any])
            let plain = (doc["trials"] as? [[String: Any]])?.first { $0["v6only"] as? Bool == true && $0["reuseaddr"] as? Bool == false && $0["reuseport"] as? Bool == false }
            XCTAssertEqual(plain?["result"] as? String, "EADDRINUSE", zone)
        }
    }

    func testMissingOrUnknownZoneIsAUsageError() throws {
        let unknown = try check(["fe80::1%nosuchif", "80"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 1, unknown.stderr)
        XCTAssertTrue(unknown.stderr.hasPrefix("sockdiag: "), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("no interface 'nosuchif'"), unknown.stderr)
        XCTAssertEqual(unknown.stdout, "")

        let bare = try check(["fe80::1", "80"])
        XCTAssertEqual(bare.status, 2)
        XCTAssertEqual(bare.stderr.split(separator: "\n").count, 1, bare.stderr)
        XCTAssertTrue(bare.stderr.contains("link-local") && bare.stderr.contains("zone") && bare.stderr.contains("fe80::1%sdz0"), bare.stderr)
        // What the kernel says to a link-local bind without a scope id.
        let kernel = BindCheckTrialBinder.run(BindCheckTrialRequest(address: IPAddress("fe80::1")!, port: Port(46451), transport: .tcp,
                                                                    v6only: true, reuseaddr: false, reuseport: false))
        XCTAssertEqual(kernel.errno, .invalidArgument)
    }
}
