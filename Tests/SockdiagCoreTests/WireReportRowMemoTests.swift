import XCTest
@testable import SockdiagCore

/// Consecutive rows mostly repeat their process's cgroup keys and their connect's error name, and
/// the report renders each once per run of rows: every row must still say its own, wherever a run
/// ends, with a process without a cgroup or with a path too long for a row among them.
final class WireReportRowMemoTests: XCTestCase, WireJoinBuilding {
    func testEachRowSaysItsOwnCgroupAndErrorWhereverItsRunEnds() {
        let cgroups: [UInt32: ProcessCgroup] = [
            42: ProcessCgroup(path: "/system.slice/nginx.service"),
            43: ProcessCgroup(path: "/sockdiag-trace-1"),
            45: ProcessCgroup(path: "/" + String(repeating: "x", count: 1100)),
        ]
        let pids: [UInt32] = [42, 42, 43, 44, 43, 43, 45, 42, 44, 44, 43]
        let outcomes: [(kind: TraceOutcomeKind, error: Errno?, name: String)?] = [
            (.refused, Errno(111), "\"ECONNREFUSED\""), (.reset, Errno(104), "\"ECONNRESET\""), nil,
            (.reset, Errno(104), "\"ECONNRESET\""), (.established, nil, "null"), (.refused, Errno(111), "\"ECONNREFUSED\""),
            (.timedOut, Errno(110), "\"ETIMEDOUT\""), (.timedOut, Errno(110), "\"ETIMEDOUT\""),
        ]
        let count = 3 * pids.count * outcomes.count
        var events: [WireKernelEvent] = []
        for i in 0..<count {
            let cookie = UInt64(i + 1)
            events.append(connect(cookie, .inet, "10.0.0.2", 443, pid: pids[i % pids.count]))
            if let outcome = outcomes[i % outcomes.count] {
                var e = WireKernelEvent()
                e.kind = .outcome
                e.cookie = cookie
                e.outcome = outcome.kind
                e.error = outcome.error
                events.append(e)
            }
        }
        let report = WireReport(join: join(events, []),
                                capture: WireCaptureSummary(file: "c.pcap", interface: nil, linkType: .ethernet, packets: 0,
                                                            dropped: nil, skipped: WireSkipCounts()),
                                events: WireEventsSummary(file: "t.jsonl", lines: events.count, events: events.count,
                                                          garbage: 0, ignored: 0, lost: 0),
                                processCgroups: cgroups)
        let rows = String(decoding: report.json(), as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("    {\"pid\"") }
        XCTAssertEqual(rows.count, count)
        var seen = Set<Int>()
        for row in rows {
            guard let cookieKey = row.range(of: "\"cookie\":"),
                  let cookie = Int(row[cookieKey.upperBound...].prefix { $0.isNumber }) else { return XCTFail("no cookie: \(row)") }
            let i = cookie - 1
            seen.insert(i)
            let pid = pids[i % pids.count]
            var keys: [UInt8] = []
            keys.appendJSONCgroupKeys(pid == 42 || pid == 43 ? cgroups[pid] : nil)
            XCTAssertTrue(row.contains("\"pid\":\(pid),\"comm\":\"client\",\"cookie\":\(cookie)\(String(decoding: keys, as: UTF8.self)),\"kernel\""),
                          "row \(i), pid \(pid): \(row)")
            if let outcome = outcomes[i % outcomes.count] {
                XCTAssertTrue(row.contains("\"error\":\(outcome.name),\"end\""), "row \(i): \(row)")
            } else {
                XCTAssertTrue(row.hasSuffix("\"outcome\":null}") || row.hasSuffix("\"outcome\":null},"), "row \(i): \(row)")
            }
        }
        XCTAssertEqual(seen.count, count)
    }
}
