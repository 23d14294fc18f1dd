import Foundation
import XCTest
@testable import SockdiagCore

/// `sockdiag demo --json` as its reader sees it: one document holding both stories, each story's
/// report the one its own subcommand prints, the explanations as given, and the layout the docs
/// promise (the demo's keys start their lines; the compare-wire report keeps a flow per line).
final class DemoDocumentTests: XCTestCase, WireJoinBuilding {
    /// A dual-mode client: connect6 to ::ffff:127.0.0.1, its packets IPv4 on the wire; and an
    /// AF_INET6 socket that only ever sent IPv6 to ::1.
    func mappedClientReport() -> WireReport {
        let events = [connect(1, .inet6, "::ffff:127.0.0.1", 45000),
                      egress(1, .inet6, local: "127.0.0.1", 51000, remote: "127.0.0.1", 45000),
                      connect(2, .inet6, "::1", 45000),
                      egress(2, .inet6, local: "::1", 51001, remote: "::1", 45000)]
        let flows = [flow("127.0.0.1", 51000, "127.0.0.1", 45000, first: 10), flow("::1", 51001, "::1", 45000, first: 20)]
        return WireReport(join: join(events, flows),
                          capture: WireCaptureSummary(file: nil, interface: "lo", linkType: .ethernet, packets: 16,
                                                      dropped: 0, skipped: WireSkipCounts()),
                          events: WireEventsSummary(file: nil, lines: 4, events: 4, garbage: 0, ignored: 0, lost: 0))
    }

    /// 127.0.0.1:45000 held by one process: a dual-stack [::]:45000 fails with EADDRINUSE.
    func portTakenReport() -> BindCheckReport {
        let query = BindCheckQuery(address: IPAddress("::")!, port: Port(45000), transport: .tcp)
        let system = BindCheckSystem(bindv6only: false, ipv6Disabled: false, ipv4Addresses: [.loopback], ipv6Addresses: [.loopback],
                                     ephemeralRange: 32768...60999, reservedPorts: "", unprivilegedPortStart: 1024)
        let holder = BindCheckSocket(family: .inet, transport: .tcp, state: .listen,
                                     local: SocketAddress(IPAddress("127.0.0.1")!, Port(45000)),
                                     remote: SocketAddress(.v4(.any), Port(0)), v6only: nil, uid: 0, inode: 10,
                                     ownership: .owners([BindCheckOwner(pid: 4242, comm: "holder", cmdline: "holder")]))
        let trials = BindCheckTrialRequest.all(for: query).map { request in
            request.v6only == false
                ? BindCheckTrialOutcome(request: request, result: .failure(BindCheckTrialFailure(stage: .bind, errno: .addressInUse)))
                : BindCheckTrialOutcome(request: request, result: .success(query.port))
        }
        return BindCheckReport.analyze(BindCheckObservation(query: query, system: system, source: .netlink, sockets: [holder],
                                                            trials: trials, trialUID: 0, netns: nil))
    }

    func parsed(_ bytes: [UInt8]) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    func testDemoDocumentHoldsBothStoriesAsTheirSubcommandsPrintThem() throws {
        let wire = mappedClientReport(), bindCheck = portTakenReport()
        // Quotes, a backslash and a line break: the explanations are free text.
        let mappedWhy = "The client's socket is AF_INET6, its packets \"IPv4\" (a C:\\ path\nand a second line)."
        let takenWhy = "127.0.0.1:45000 is held; [::]:45000 with IPV6_V6ONLY=0 cannot bind."
        let bytes = DemoDocument.json(mappedClient: wire, mappedExplanation: mappedWhy, holderPID: 4242,
                                      bindCheck: bindCheck, portTakenExplanation: takenWhy)
        let document = try parsed(bytes)

        XCTAssertEqual(document["schema"] as? String, "sockdiag.demo/1")
        let schema = try parsed(Array(try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/schema/demo.schema.json"))))
        for key in try XCTUnwrap(schema["required"] as? [String]) {
            XCTAssertNotNil(document[key], "docs/schema/demo.schema.json requires \(key)")
        }

        // Story 1: the compare-wire report, as `compare-wire --json` prints it, with the mapped flow.
        let client = try XCTUnwrap(document["ipv4_mapped_client"] as? [String: Any])
        XCTAssertEqual(client as NSDictionary, try parsed(wire.json()) as NSDictionary)
        XCTAssertEqual(client["schema"] as? String, "sockdiag.compare-wire/1")
        let flows = try XCTUnwrap(client["flows"] as? [[String: Any]])
        XCTAssertEqual(flows.map { $0["verdict"] as? String }, ["ipv4-mapped", "same"])
        let mapped = flows[0]
        XCTAssertEqual((mapped["kernel"] as? [String: Any])?["socket_family"] as? String, "inet6")
        XCTAssertEqual((mapped["kernel"] as? [String: Any])?["address"] as? String, "::ffff:127.0.0.1")
        XCTAssertEqual((mapped["wire"] as? [String: Any])?["protocol"] as? String, "ipv4")
        XCTAssertEqual((client["summary"] as? [String: Any])?["ipv4_mapped"] as? Int, 1)
        XCTAssertEqual(document["ipv4_mapped_explanation"] as? String, mappedWhy)

        // Story 2: the bind-check report, as `bind-check --json` prints it, and who holds the port.
        let taken = try XCTUnwrap(document["port_taken_on_ipv4"] as? [String: Any])
        XCTAssertEqual(taken["holder_pid"] as? Int, 4242)
        let report = try XCTUnwrap(taken["bind_check"] as? [String: Any])
        XCTAssertEqual(report as NSDictionary, try parsed(Array(bindCheck.json.pretty.utf8)) as NSDictionary)
        XCTAssertEqual(report["verdict"] as? String, bindCheck.verdict)
        XCTAssertTrue(bindCheck.verdict.contains("EADDRINUSE"), bindCheck.verdict)
        XCTAssertEqual(taken["explanation"] as? String, takenWhy)

        // The layout: the demo's own keys start lines, each flow of the report is one line of its
        // own as in the report printed alone, and the document ends with a line break.
        let text = String(decoding: bytes, as: UTF8.self)
        for key in ["\"schema\": ", "\"ipv4_mapped_client\": ", "\"ipv4_mapped_explanation\": ", "\"port_taken_on_ipv4\": "] {
            XCTAssertTrue(text.contains("\n" + key), "\(key) starts a line")
        }
        let alone = String(decoding: wire.json(), as: UTF8.self).split(separator: "\n")
        let flowLines = alone.filter { $0.hasPrefix("    {\"pid\":") }
        XCTAssertEqual(flowLines.count, 2)
        let lines = Set(text.split(separator: "\n"))
        for line in flowLines { XCTAssertTrue(lines.contains(line), "a flow's line as compare-wire prints it: \(line)") }
        XCTAssertTrue(text.hasSuffix("}\n"))
        XCTAssertFalse(text.hasSuffix("\n\n"))
    }
}
