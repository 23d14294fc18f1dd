import Foundation
import XCTest

/// compare-wire rows carry each socket's outcome beside the kernel's and the wire's views.
final class CompareWireOutcomeTests: XCTestCase {
    func testRowsCarryTheRefusalAndTheFallbacksOutcome() throws {
        try requirePrivileges("the eBPF tracer and a live capture")
        let scratch = try OutcomeFixture.Scratch(hostName: "he-loop", addresses: [])
        let port = TraceFixture.port(24)
        let server = try OutcomeFixture.Server(scratch, ports: [port], ipv4Loopback: true)
        defer { server.stop() }
        let step = "race/250/\(port)/::1/127.0.0.1"
        let result = try Sockdiag.run(["compare-wire", "--interface", "lo", "--json", "--",
                                       OutcomeFixture.python3, scratch.path("he.py"), step])
        XCTAssertEqual(OutcomeFixture.clientResult(step, result.stderr), "127.0.0.1:62", result.stderr)
        let flows = ((result.json as? [String: Any])?["flows"] as? [[String: Any]] ?? []).filter {
            ($0["kernel"] as? [String: Any])?["port"] as? Int == port
        }
        func row(_ address: String) -> [String: Any]? { flows.first { ($0["kernel"] as? [String: Any])?["address"] as? String == address } }
        let refused = try XCTUnwrap(row("::1"), "\(flows)")
        let outcome = try XCTUnwrap(refused["outcome"] as? [String: Any])
        XCTAssertEqual(outcome["connect"] as? String, "refused")
        XCTAssertEqual(outcome["error"] as? String, "ECONNREFUSED")
        XCTAssertTrue(outcome["end"] is NSNull)
        XCTAssertEqual((refused["wire"] as? [String: Any])?["packets"] as? Int, 2, "the SYN and its RST, on the wire")
        let fallback = try XCTUnwrap(row("127.0.0.1")?["outcome"] as? [String: Any], "\(flows)")
        XCTAssertEqual(fallback["connect"] as? String, "established")
        XCTAssertEqual(fallback["end"] as? String, "closed")
        XCTAssertGreaterThan(fallback["elapsed_ns"] as? Int ?? 0, 0)

        let text = try Sockdiag.run(["compare-wire", "--interface", "lo", "--", OutcomeFixture.python3, scratch.path("he.py"), step])
        let lines = text.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.contains("OUTCOME") ?? false, text.stdout)
        XCTAssertTrue(lines.contains { $0.contains("[::1]:\(port) (connect6)") && $0.contains(" refused ") }, text.stdout)
        XCTAssertTrue(lines.contains { $0.contains("127.0.0.1:\(port) (connect4)") && $0.contains(" established ") && $0.contains(", closed") }, text.stdout)
    }
}
