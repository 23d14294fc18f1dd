import SockdiagCore
import XCTest

/// The classic pcap records read in place: what they give, and every file they leave to libpcap.
final class WireClassicPcapTests: XCTestCase {
    /// A pcap file: this machine's byte order, microseconds unless `nanoseconds`.
    static func file(nanoseconds: Bool = false, version: (UInt16, UInt16) = (2, 4), snapshot: UInt32 = 262_144,
                     records: [(seconds: Int32, fraction: Int32, captured: [UInt8], original: UInt32)]) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) } }
        append(nanoseconds ? UInt32(0xA1B2_3C4D) : UInt32(0xA1B2_C3D4))
        append(version.0)
        append(version.1)
        append(Int32(0))
        append(UInt32(0))
        append(snapshot)
        append(UInt32(1)) // Ethernet
        for record in records {
            append(record.seconds)
            append(record.fraction)
            append(UInt32(record.captured.count))
            append(record.original)
            bytes.append(contentsOf: record.captured)
        }
        return bytes
    }

    private func packets(_ file: [UInt8], snapshot: Int = 262_144) -> [(bytes: [UInt8], original: Int, time: UInt64)]? {
        file.withUnsafeBytes { bytes in
            guard let records = WireClassicPcap(bytes, snapshot: snapshot) else { return nil }
            var read: [(bytes: [UInt8], original: Int, time: UInt64)] = []
            records.forEachPacket { data, original, time in read.append((Array(data), original, time)) }
            return read
        }
    }

    func testRecordsComeInFileOrderWithTheirLengthsAndNanosecondTimes() throws {
        let file = Self.file(records: [(1_700_000_000, 250_000, [1, 2, 3], 60), (1_700_000_001, 999_999, [], 0), (1_700_000_002, 5, [9], 1500)])
        let read = try XCTUnwrap(packets(file))
        XCTAssertEqual(read.map(\.bytes), [[1, 2, 3], [], [9]])
        XCTAssertEqual(read.map(\.original), [60, 0, 1500])
        XCTAssertEqual(read.map(\.time), [1_700_000_000_250_000_000, 1_700_000_001_999_999_000, 1_700_000_002_000_005_000])
        let nano = try XCTUnwrap(packets(Self.file(nanoseconds: true, records: [(1_700_000_000, 123_456_789, [7], 7)])))
        XCTAssertEqual(nano.map(\.time), [1_700_000_000_123_456_789])
    }

    func testAFileWithNoPacketIsReadAsEmpty() throws {
        XCTAssertEqual(try XCTUnwrap(packets(Self.file(records: []))).count, 0)
    }

    func testATimeBeforeTheEpochWrapsInsteadOfStopping() throws {
        let read = try XCTUnwrap(packets(Self.file(records: [(-1, 0, [1], 1)])))
        XCTAssertEqual(read.first?.time, UInt64(bitPattern: -1_000_000_000))
    }

    func testEveryFileLibpcapWouldChangeOrRefuseIsLeftToIt() {
        let whole = Self.file(records: [(1, 0, [1, 2, 3, 4], 4), (2, 0, [5, 6], 2)])
        XCTAssertNil(packets(Array(whole.dropLast())), "the last record's data cut off")
        XCTAssertNil(packets(Array(whole.prefix(24 + 20 + 10))), "a record header cut off")
        XCTAssertNil(packets(Array(whole.prefix(20))), "the file header cut off")
        XCTAssertNil(packets(whole, snapshot: 3), "a record longer than the snapshot length (libpcap cuts it)")
        XCTAssertNil(packets(Self.file(version: (2, 3), records: [])), "version 2.3: lengths may be swapped")
        var swapped = whole
        swapped.replaceSubrange(0..<4, with: [0xA1, 0xB2, 0xC3, 0xD4])
        XCTAssertNil(packets(swapped), "the other byte order")
        var pcapng = whole
        pcapng.replaceSubrange(0..<4, with: [0x0A, 0x0D, 0x0D, 0x0A])
        XCTAssertNil(packets(pcapng), "pcapng")
        XCTAssertNotNil(packets(whole))
    }
}
