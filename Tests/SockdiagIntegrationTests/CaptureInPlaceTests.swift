import Foundation
import SockdiagCapture
import SockdiagSystem
import XCTest

/// A capture file's records read in place must be what libpcap reads from the same file: tcpdump
/// writes the files, libpcap is the oracle.
final class CaptureInPlaceTests: XCTestCase {
    private struct Packet: Equatable {
        let bytes: [UInt8]
        let originalLength: Int
        let time: UInt64
    }

    private func read(_ path: String, inPlace: Bool) throws -> (packets: [Packet], endedEarly: String?) {
        var packets: [Packet] = []
        let collect = { (data: UnsafeRawBufferPointer, original: Int, time: UInt64) in
            packets.append(Packet(bytes: Array(data), originalLength: original, time: time))
        }
        let endedEarly: String?
        if inPlace {
            let input = try InputFile.open(path, what: "capture file")
            let size = input.size
            endedEarly = try PcapPacketSource.openFile(path, reading: input.takeDescriptor(), size: size).readAll(collect)
        } else {
            endedEarly = try PcapPacketSource.openFile(path).readAllThroughLibpcap(collect)
        }
        return (packets, endedEarly)
    }

    func testRecordsReadInPlaceAreLibpcapsWithMicroAndNanosecondFilesAndACutFile() throws {
        try requirePrivileges()
        let port = TraceFixture.port(28)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-inplace-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for precision in ["micro", "nano"] {
            let capture = scratch.appendingPathComponent("\(precision).pcap").path
            // A 96-byte snapshot: the larger datagrams are recorded cut, with their original length.
            let tcpdump = try WireTcpdump(interface: "lo", filter: "udp port \(port)", output: capture, snapshot: 96,
                                          options: ["--time-stamp-precision=\(precision)"])
            let sent = try runProgram(OutcomeFixture.python3, ["-c", """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                for i in range(60):
                    s.sendto(bytes(i * 7 % 256 for _ in range(i * 5)), ("127.0.0.1", \(port)))
                """])
            XCTAssertEqual(sent.status, 0, sent.stderr)
            tcpdump.stop()

            let oracle = try read(capture, inPlace: false)
            let inPlace = try read(capture, inPlace: true)
            XCTAssertGreaterThanOrEqual(oracle.packets.count, 60, "\(precision): tcpdump recorded too few packets")
            XCTAssertNil(oracle.endedEarly)
            XCTAssertNil(inPlace.endedEarly)
            XCTAssertEqual(inPlace.packets, oracle.packets, precision)
            XCTAssertTrue(oracle.packets.contains { $0.bytes.count < $0.originalLength }, "\(precision): no packet was cut at the snapshot")

            // Cut in the last record: the packets before it, and libpcap's words for the cut.
            let whole = try Data(contentsOf: URL(fileURLWithPath: capture))
            let cut = scratch.appendingPathComponent("\(precision)-cut.pcap").path
            try whole.dropLast(7).write(to: URL(fileURLWithPath: cut))
            let cutOracle = try read(cut, inPlace: false)
            let cutInPlace = try read(cut, inPlace: true)
            XCTAssertEqual(cutInPlace.packets, cutOracle.packets, "\(precision), cut")
            XCTAssertEqual(cutInPlace.endedEarly, cutOracle.endedEarly)
            XCTAssertEqual(cutOracle.packets.count, oracle.packets.count - 1)
            XCTAssertTrue(cutOracle.endedEarly?.hasPrefix("truncated") == true, cutOracle.endedEarly ?? "not cut")
        }
    }
}
