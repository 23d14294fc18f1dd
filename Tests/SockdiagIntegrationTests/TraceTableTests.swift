import Foundation
import XCTest

/// trace's per-socket table holds 131,072 sockets: a run that sees more keeps the ones that sent
/// most recently, and never loses a socket it follows to a newer one.
final class TraceTableTests: XCTestCase {
    /// 140,000 UDP sockets each send one datagram and close, while one socket made before them sends
    /// every millisecond. The table wraps: the first of the short-lived sockets gives its slot away,
    /// the last one and the busy one keep theirs, the busy one with every datagram it sent.
    func testAFullTableGivesAwayTheLeastRecentlyActiveSocketsOnly() throws {
        try requirePrivileges()
        let port = TraceFixture.port(27), sockets = 140_000
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-table-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let flood = scratch.appendingPathComponent("flood.py").path
        let facts = scratch.appendingPathComponent("facts").path
        let trace = scratch.appendingPathComponent("trace.jsonl").path
        let finals = scratch.appendingPathComponent("finals.py").path
        try """
        import socket, struct, sys, threading, time
        port, count, facts = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        def cookie(s):
            return struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 57, 8))[0]  # SO_COOKIE
        busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        done, sends = threading.Event(), [0]
        def keep_sending():
            while not done.is_set():
                busy.sendto(b"b", ("127.0.0.1", port))
                sends[0] += 1
                time.sleep(0.001)
        sender = threading.Thread(target=keep_sending)
        sender.start()
        time.sleep(0.05)
        for i in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"x", ("127.0.0.1", port))
            if i == 0:
                first = cookie(s)
            last = cookie(s)
            s.close()
        done.set()
        sender.join()
        with open(facts, "w") as out:
            print(cookie(busy), sends[0], first, last, file=out)
        """.write(toFile: flood, atomically: true, encoding: .utf8)
        // Reads the trace's final egress records: how many, and the packets of the cookies asked for.
        try """
        import json, sys
        packets = {}
        for line in open(sys.argv[1]):
            if '"final":true' in line:
                record = json.loads(line)
                packets[record["cookie"]] = record["packets"]
        print(len(packets), *(packets.get(int(c), 0) for c in sys.argv[2:]))
        """.write(toFile: finals, atomically: true, encoding: .utf8)

        let run = try runProgram("/bin/sh", ["-c", "exec \"$0\" trace --json -- \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" > \"$6\"",
                                             Sockdiag.executable.path, OutcomeFixture.python3, flood, String(port), String(sockets), facts, trace],
                                 timeout: 240)
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        let known = try String(contentsOfFile: facts, encoding: .utf8).split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(known.count, 4, "flood facts: \(known)")
        let (busy, busySends, first, last) = (known[0], Int(known[1]) ?? -1, known[2], known[3])

        let counted = try runProgram(OutcomeFixture.python3, [finals, trace, busy, first, last], timeout: 120)
        let numbers = counted.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        XCTAssertEqual(numbers.count, 4, counted.stdout + counted.stderr)
        guard numbers.count == 4 else { return }
        XCTAssertLessThanOrEqual(numbers[0], 131_072, "more final records than the table has slots")
        XCTAssertGreaterThan(numbers[0], 120_000, "the table held far fewer sockets than it has slots")
        XCTAssertEqual(numbers[1], busySends, "the busy socket's total must count every datagram it sent")
        XCTAssertEqual(numbers[2], 0, "the first short-lived socket, the least recently active, gives its slot away")
        XCTAssertEqual(numbers[3], 1, "the last socket's single datagram")

        let summary = try XCTUnwrap(String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").last)
        XCTAssertTrue(summary.contains("\"egress_untracked\":0"), String(summary))
    }
}
