import Foundation
import XCTest

/// `sockdiag demo` must reproduce both stories on this machine and leave nothing behind.
final class DemoTests: XCTestCase {
    func testDemoReproducesBothStoriesAsJSON() throws {
        try requirePrivileges()
        let before = try TraceFixture.snapshot()
        let result = try Sockdiag.run(["demo", "--json"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try XCTUnwrap(result.json as? [String: Any], result.stdout)

        // Story 1: the dual-mode client's mapped connect is AF_INET6 in the kernel and IPv4 on lo.
        let mapped = try XCTUnwrap(document["ipv4_mapped_client"] as? [String: Any])
        let flows = try XCTUnwrap(mapped["flows"] as? [[String: Any]])
        let mappedFlow = try XCTUnwrap(flows.first { $0["verdict"] as? String == "ipv4-mapped" }, "\(flows)")
        let kernel = try XCTUnwrap(mappedFlow["kernel"] as? [String: Any])
        let wire = try XCTUnwrap(mappedFlow["wire"] as? [String: Any])
        XCTAssertEqual(kernel["hook"] as? String, "connect6")
        XCTAssertEqual(kernel["socket_family"] as? String, "inet6")
        XCTAssertEqual(kernel["address"] as? String, "::ffff:127.0.0.1")
        XCTAssertEqual(wire["protocol"] as? String, "ipv4")
        XCTAssertEqual(wire["dst"] as? String, "127.0.0.1")
        XCTAssertEqual(mappedFlow["comm"] as? String, "sockdiag")
        let native = try XCTUnwrap(flows.first { ($0["kernel"] as? [String: Any])?["address"] as? String == "::1" })
        XCTAssertEqual(native["verdict"] as? String, "same")
        XCTAssertTrue((document["ipv4_mapped_explanation"] as? String ?? "").contains("skb->protocol"))

        // Story 2: the dual-stack trial bind hits the IPv4 holder, and with V6ONLY=1 IPv4 clients
        // go to the holder.
        let taken = try XCTUnwrap(document["port_taken_on_ipv4"] as? [String: Any])
        let holder = try XCTUnwrap(taken["holder_pid"] as? Int)
        let report = try XCTUnwrap(taken["bind_check"] as? [String: Any])
        let trials = try XCTUnwrap(report["trials"] as? [[String: Any]])
        let dualStack = try XCTUnwrap(trials.first {
            $0["v6only"] as? Bool == false && $0["reuseaddr"] as? Bool == false && $0["reuseport"] as? Bool == false
        })
        XCTAssertEqual(dualStack["result"] as? String, "EADDRINUSE")
        let receivers = try XCTUnwrap(report["receivers"] as? [[String: Any]])
        let ipv4AfterV6only = try XCTUnwrap(receivers.first {
            $0["scenario"] as? String == "after_bind_v6only_1" && $0["client_destination"] as? String == "127.0.0.1"
        })
        XCTAssertEqual(ipv4AfterV6only["pid"] as? Int, holder)
        XCTAssertTrue((taken["explanation"] as? String ?? "").contains("Spotify"))

        // Nothing left: the holder has exited, no cgroup or program remains.
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/proc/\(holder)"), "holder pid \(holder) still runs")
        XCTAssertEqual(try TraceFixture.snapshot(), before)
    }

    func testDemoTextTellsBothStories() throws {
        try requirePrivileges()
        let result = try Sockdiag.run(["demo"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Story 1"))
        XCTAssertTrue(result.stdout.contains("ipv4-mapped"))
        XCTAssertTrue(result.stdout.contains("Story 2"))
        XCTAssertTrue(result.stdout.contains("EADDRINUSE"))
        XCTAssertEqual(result.stdout.components(separatedBy: "What it means:").count - 1, 2)
    }
}
