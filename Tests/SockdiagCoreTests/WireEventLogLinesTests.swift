import XCTest
@testable import SockdiagCore

extension WireEventLogPartsTests {
    /// A mapped part's lines are read before their ends are found (`read(lines:at:)`); the same
    /// bytes read in chunks, each line found whole first, give the same reader: on random logs,
    /// and on every one-byte change (a newline among them) and cut of the tracer's lines.
    func testLinesReadBeforeTheirEndsAreFoundAreReadAsWholeLines() {
        var random = SplitMix64(state: 77)
        var logs = (0..<4).map { _ in randomLog(&random, sockets: 300) + [0x0A] }
        let samples = [WireEventLogTests.connect, WireEventLogTests.egress, WireEventLogTests.accepted,
                       egress(7, final: true, packets: 3, pid: "9"), outcome(7, "reset", error: "ECONNRESET")]
        var variants: [[UInt8]] = []
        for sample in samples {
            let bytes = Array(sample.utf8)
            variants.append(bytes)
            for i in bytes.indices {
                variants.append(Array(bytes[..<i]))
                for r in Array(#"0,}"\.a"#.utf8) + [0x0A] where r != bytes[i] {
                    var changed = bytes
                    changed[i] = r
                    variants.append(changed)
                }
            }
        }
        for start in stride(from: 0, to: variants.count, by: 500) {
            logs.append(Array(variants[start..<min(start + 500, variants.count)].joined(separator: [0x0A])) + [0x0A])
        }
        for (n, log) in logs.enumerated() {
            var whole = WireEventLogReader()
            read(log, 0..<log.count, into: &whole)
            var mapped = WireEventLogReader()
            let end = log.withUnsafeBytes { mapped.read(lines: $0, at: 0) }
            XCTAssertEqual(end, log.count)
            XCTAssertEqual(mapped.kernel.intents, whole.kernel.intents, "log \(n)")
            XCTAssertEqual(mapped.kernel.egress, whole.kernel.egress, "log \(n)")
            XCTAssertEqual(mapped.kernel.outcomes, whole.kernel.outcomes, "log \(n)")
            XCTAssertEqual(describe(mapped), describe(whole), "log \(n)")
            XCTAssertEqual(mapped.processCgroups, whole.processCgroups, "log \(n)")
        }
        XCTAssertGreaterThan(logs.count, 20)
    }
}
