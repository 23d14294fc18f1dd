import Foundation
import XCTest

/// trace's per-socket table holds 131,072 sockets: a run that sees more gives the slots of the
/// least recently active sockets to new ones, never a socket that is still sending, and never loses
/// a new socket.
final class TraceTableTests: XCTestCase {
    /// 140,000 UDP sockets each send one datagram and close, while one socket made before them sends
    /// every millisecond. (Which short-lived socket gives way depends on how the kernel spread their
    /// cookies over its CPUs' runs: under that pressure, any of them may be the least recently active
    /// of its neighbourhood.)
    func testAFullTableGivesAwayOnlyTheSlotsOfIdleSockets() throws {
        try requirePrivileges()
        let port = TraceFixture.port(27), sockets = 140_000, slots = 131_072
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-table-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let flood = scratch.appendingPathComponent("flood.py").path
        let cookies = scratch.appendingPathComponent("cookies").path
        let trace = scratch.appendingPathComponent("trace.jsonl").path
        let check = scratch.appendingPathComponent("check.py").path
        // Writes the busy socket's cookie and sends, then each short-lived socket's cookie in order.
        try """
        import socket, struct, sys, threading, time
        port, count, cookies = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
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
        made = []
        for i in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"x", ("127.0.0.1", port))
            made.append(cookie(s))
            s.close()
        done.set()
        sender.join()
        with open(cookies, "w") as out:
            print(cookie(busy), sends[0], file=out)
            out.write("\\n".join(map(str, made)) + "\\n")
        """.write(toFile: flood, atomically: true, encoding: .utf8)
        // From the trace's final egress records: how many; the busy socket's packets; how many
        // short-lived sockets have none; the last socket's packets.
        try """
        import json, sys
        packets = {}
        for line in open(sys.argv[1]):
            if '"final":true' in line:
                record = json.loads(line)
                packets[record["cookie"]] = record["packets"]
        lines = open(sys.argv[2]).read().split("\\n")
        busy = int(lines[0].split()[0])
        made = [int(c) for c in lines[1:] if c]
        missing = [c for c in made if c not in packets]
        print(len(packets), packets.get(busy, 0), len(missing), packets.get(made[-1], 0))
        """.write(toFile: check, atomically: true, encoding: .utf8)

        let run = try runProgram("/bin/sh", ["-c", "exec \"$0\" trace --json -- \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" > \"$6\"",
                                             Sockdiag.executable.path, OutcomeFixture.python3, flood, String(port), String(sockets), cookies, trace],
                                 timeout: 240)
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        let busySends = Int(try String(contentsOfFile: cookies, encoding: .utf8).split(separator: "\n").first?.split(separator: " ").last ?? "") ?? -1

        let checked = try runProgram(OutcomeFixture.python3, [check, trace, cookies], timeout: 120)
        let numbers = checked.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        XCTAssertEqual(numbers.count, 4, checked.stdout + checked.stderr)
        guard numbers.count == 4 else { return }
        let (finals, busyPackets, missing, lastPackets) = (numbers[0], numbers[1], numbers[2], numbers[3])
        XCTAssertLessThanOrEqual(finals, slots, "more final records than the table has slots")
        XCTAssertGreaterThanOrEqual(missing, sockets + 1 - slots, "more sockets than slots, yet no slot was given away")
        XCTAssertEqual(busyPackets, busySends, "the busy socket's total must count every datagram it sent")
        XCTAssertEqual(lastPackets, 1, "the last socket's single datagram")

        let summary = try XCTUnwrap(String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").last)
        XCTAssertTrue(summary.contains("\"egress_untracked\":0"), String(summary))
    }
}
