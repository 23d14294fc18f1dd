import Foundation
import XCTest
@testable import SockdiagCommands
@testable import SockdiagCore

/// A log read in parts (the later ones keeping unnamed sockets' totals aside) and merged must be
/// the reader one pass gives: same sockets in the same order, same counts, same first garbage.
final class WireEventLogPartsTests: XCTestCase {
    func connect(_ cookie: UInt64, port: Int, pid: String) -> String {
        #"{"event":"connect","hook":"connect6","time_ns":1795442296797673365,"pid":\#(pid),"tid":1191,"comm":"python3","uid":0,"cgroup_id":1659,"cookie":\#(cookie),"socket_family":"inet6","protocol":"tcp","address":"::ffff:127.0.0.\#(port % 3)","port":\#(port),"cgroup":"/system.slice/p\#(pid)-\#(cookie % 3).service"}"#
    }

    func egress(_ cookie: UInt64, final: Bool, packets: Int, pid: String) -> String {
        #"{"event":"egress","final":\#(final),"time_ns":1795442297099449078,"cookie":\#(cookie),"pid":\#(pid),"comm":\#(pid == "null" ? "null" : "\"c\(cookie % 7)\""),"socket_family":"inet6","wire_protocol":"ipv4","protocol":"tcp","local_address":"127.0.0.1","local_port":\#(30000 + cookie % 20000),"remote_address":"127.0.0.1","remote_port":443,"packets":\#(packets),"bytes":\#(packets * 60),"lesson":null}"#
    }

    func outcome(_ cookie: UInt64, _ kind: String, error: String?) -> String {
        #"{"event":"outcome","outcome":"\#(kind)","time_ns":1795442297099449078,"cookie":\#(cookie),"pid":7,"comm":"c","socket_family":"inet6","protocol":"tcp","address":"::ffff:127.0.0.1","port":443,"local_address":"::ffff:127.0.0.1","local_port":40000,"elapsed_ns":90660,"syn_retransmits":0,"rtt_us":76,"bytes_sent":null,"bytes_received":null,"error":\#(error.map { "\"\($0)\"" } ?? "null"),"icmp":null,"reset_by":null,"group":null}"#
    }

    /// A random log in the tracer's shape: connects, their outcomes and first egress records, then
    /// the totals of every socket in no order beside their connections' ends (an error or none,
    /// the odd connect outcome again), with the odd totals of a socket never named, a socket
    /// recorded again after its totals, garbage, blank, bind, summary and over-long lines.
    func randomLog(_ random: inout SplitMix64, sockets: Int) -> [UInt8] {
        var lines: [String] = []
        var named: [UInt64] = []
        for _ in 0..<sockets {
            let cookie = 1_000 + UInt64.random(in: 0..<UInt64(sockets * 2), using: &random)
            let pid = Bool.random(using: &random) ? "\(cookie % 500)" : "null"
            switch Int.random(in: 0..<20, using: &random) {
            case 0: lines.append("not json at all")
            case 1: lines.append("")
            case 2: lines.append(#"{"event":"bind","hook":"post_bind6","cookie":\#(cookie)}"#)
            case 3: lines.append(#"{"event":"summary","events":1,"lost":\#(cookie % 5)}"#)
            case 4: lines.append(egress(cookie, final: true, packets: 9, pid: pid))
            default:
                lines.append(connect(cookie, port: Int(cookie % 4) + 440, pid: pid))
                lines.append(egress(cookie, final: false, packets: 1, pid: pid))
                if Bool.random(using: &random) { lines.append(outcome(cookie, "established", error: nil)) }
                named.append(cookie)
            }
            if Int.random(in: 0..<2_000, using: &random) == 0 { lines.append(String(repeating: "x", count: 70_000)) }
        }
        for cookie in named.shuffled(using: &random) {
            lines.append(egress(cookie, final: true, packets: Int(cookie % 9) + 2, pid: "\(cookie % 500)"))
            switch Int.random(in: 0..<6, using: &random) {
            case 0: lines.append(outcome(cookie, "reset", error: "ECONNRESET"))
            case 1: lines.append(outcome(cookie, "closed", error: nil))
            case 2: lines.append(outcome(cookie, "refused", error: "ECONNREFUSED"))
            default: break
            }
            if Int.random(in: 0..<300, using: &random) == 0 { lines.append(egress(cookie, final: false, packets: 3, pid: "7")) }
            if Int.random(in: 0..<100, using: &random) == 0 { lines.append(egress(cookie + 100_000, final: true, packets: 4, pid: "8")) }
        }
        lines.append(#"{"event":"summary","events":9,"lost":2}"#)
        return Array(lines.joined(separator: "\n").utf8) + (Bool.random(using: &random) ? [0x0A] : [])
    }

    func read(_ bytes: [UInt8], _ range: Range<Int>, into reader: inout WireEventLogReader) {
        var at = range.lowerBound
        bytes.withUnsafeBytes { all in
            reader.read(chunkSize: 1 << 17) { buffer in
                // Small, uneven reads, as a file or a pipe may give them.
                let n = min(buffer.count, range.upperBound - at, 1_000 + at % 5_000)
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[at..<(at + n)]))
                at += n
                return n
            }
        }
    }

    func describe(_ r: WireEventLogReader) -> String {
        "\(r.lines) \(r.events) \(r.records) \(r.garbage) \(r.firstGarbage.map { "\($0.line) \($0.problem)" } ?? "-") "
            + "\(r.kernel.lost) \(r.kernel.ignoredEvents)"
    }

    func testPartsMergeIntoTheOnePassReading() {
        var random = SplitMix64(state: 2_024)
        var parts = 0, keptTotals = 0
        for round in 0..<12 {
            let bytes = randomLog(&random, sockets: 400 + round * 150)
            var whole = WireEventLogReader()
            read(bytes, 0..<bytes.count, into: &whole)
            // Cut at line starts, as the executable does.
            let starts = [0] + bytes.indices.filter { bytes[$0] == 0x0A && $0 + 1 < bytes.count }.map { $0 + 1 }
            var cuts = Set<Int>()
            for _ in 0..<Int.random(in: 1...6, using: &random) { cuts.insert(starts.randomElement(using: &random)!) }
            let bounds = ([0] + cuts.sorted().filter { $0 > 0 } + [bytes.count])
            var merged = WireEventLogReader()
            read(bytes, bounds[0]..<bounds[1], into: &merged)
            for k in 1..<(bounds.count - 1) {
                var part = WireEventLogReader(partStartingAt: bounds[k])
                read(bytes, bounds[k]..<bounds[k + 1], into: &part)
                parts += 1
                keptTotals += part.deferred?.lines.count ?? 0
                merged.append(part) { offset, length in Array(bytes[offset..<(offset + length)]) }
            }
            XCTAssertEqual(merged.kernel.intents, whole.kernel.intents, "round \(round)")
            XCTAssertEqual(merged.kernel.egress, whole.kernel.egress, "round \(round)")
            XCTAssertEqual(merged.kernel.outcomes, whole.kernel.outcomes, "round \(round)")
            XCTAssertEqual(describe(merged), describe(whole), "round \(round)")
            XCTAssertEqual(merged.processCgroups, whole.processCgroups, "round \(round)")
        }
        XCTAssertGreaterThan(parts, 20)
        XCTAssertGreaterThan(keptTotals, 1_000)
    }

    /// The cuts fall at line starts, about `partBytes` apart, never more parts than the limit
    /// allows; a line longer than a part is not cut.
    func testPartsStartAtLinesAndEveryPartButTheLastEndsWithANewline() {
        var random = SplitMix64(state: 5)
        let bytes = randomLog(&random, sockets: 900)
        for (partBytes, maximumParts) in [(4_096, 64), (4_096, 8), (1, Int.max), (1 << 30, 64)] {
            let starts = bytes.withUnsafeBytes {
                WireEventLogReader.partStarts(of: $0, partBytes: partBytes, maximumParts: maximumParts)
            }
            XCTAssertEqual(starts.first, 0)
            XCTAssertLessThanOrEqual(starts.count - 1, maximumParts)
            XCTAssertEqual(starts, starts.sorted())
            XCTAssertEqual(Set(starts).count, starts.count)
            for start in starts.dropFirst() {
                XCTAssertLessThan(start, bytes.count)
                XCTAssertEqual(bytes[start - 1], 0x0A, "part at \(start) starts a line")
            }
            if partBytes == 1 { XCTAssertEqual(starts.count, bytes.filter { $0 == 0x0A }.count + (bytes.last == 0x0A ? 0 : 1)) }
            if partBytes == 1 << 30 { XCTAssertEqual(starts, [0]) }
        }
    }

    /// The reader of event log files: cut into parts of a few KiB, read on its own thread and on
    /// the caller's once the caller's other work is done, it gives the one-pass reading, and the
    /// other work's result; a failure of that work is the caller's error.
    func testTheFileReaderSplitsTheLogOverTwoThreadsAndReadsWhatOnePassReads() throws {
        var random = SplitMix64(state: 77)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-parts-\(getpid()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for round in 0..<6 {
            let bytes = randomLog(&random, sockets: 300 + round * 200)
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            var whole = WireEventLogReader()
            read(bytes, 0..<bytes.count, into: &whole)
            let log = try EventLogParts(path: path, partBytes: 4_096)
            XCTAssertGreaterThan(log.partCount, 4, "round \(round)")
            let (reader, other) = try log.read(alongside: { round * 7 })
            XCTAssertEqual(other, round * 7)
            XCTAssertEqual(reader.kernel.intents, whole.kernel.intents, "round \(round)")
            XCTAssertEqual(reader.kernel.egress, whole.kernel.egress, "round \(round)")
            XCTAssertEqual(reader.kernel.outcomes, whole.kernel.outcomes, "round \(round)")
            XCTAssertEqual(describe(reader), describe(whole), "round \(round)")
        }
        struct CaptureFailed: Error {}
        let log = try EventLogParts(path: path, partBytes: 4_096)
        XCTAssertThrowsError(try log.read(alongside: { throw CaptureFailed() })) { XCTAssertTrue($0 is CaptureFailed) }
    }
}
