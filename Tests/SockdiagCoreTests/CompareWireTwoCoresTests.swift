import XCTest
@testable import SockdiagCommands
@testable import SockdiagCore

/// A large report's flows are rendered in blocks on two cores, each core reusing one buffer: the
/// document must be the one a single pass writes, whatever the count of blocks and its last one.
final class CompareWireTwoCoresTests: XCTestCase, WireJoinBuilding {
    func testFlowsRenderedInBlocksOnTwoCoresAreTheSameDocument() throws {
        for count in [TwoCores.reportFromFlows - 1, TwoCores.reportFromFlows, 5_001, 20_000] {
            var events: [WireKernelEvent] = [], flows: [WireFlow] = []
            for i in 0..<count {
                let port = UInt16(20000 + i % 40000)
                if i % 3 != 2 {
                    events.append(connect(UInt64(i + 1), i % 2 == 0 ? .inet6 : .inet, i % 2 == 0 ? "::ffff:10.0.0.2" : "10.0.0.2", 443))
                    events.append(egress(UInt64(i + 1), .inet6, local: "10.0.0.1", port, remote: "10.0.0.2", 443))
                }
                flows.append(flow("10.0.0.1", port, "10.0.0.2", 443, first: UInt64(i)))
            }
            let report = WireReport(join: join(events, flows),
                                    capture: WireCaptureSummary(file: "c.pcap", interface: nil, linkType: .ethernet, packets: 9,
                                                                dropped: nil, skipped: WireSkipCounts()),
                                    events: WireEventsSummary(file: "t.jsonl", lines: 2, events: 2, garbage: 0, ignored: 0, lost: 0))
            var pieces: [UInt8] = [], writes = 0
            try report.json({ pieces += $0; writes += 1 }) { sink in try writeFlowsOnTwoCores(report, to: sink) }
            XCTAssertEqual(pieces, report.json(), "\(count) flows")
            XCTAssertGreaterThan(writes, count >= TwoCores.reportFromFlows ? 3 : 1, "\(count) flows")
        }
    }
}
