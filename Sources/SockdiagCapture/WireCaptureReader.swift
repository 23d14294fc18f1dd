import SockdiagCore
import SockdiagSystem

/// The capture side of compare-wire: packets into flows, and the annotated pcapng copy.
public enum WireCaptureReader {
    /// Reads a whole capture file into a flow table, from the input the user named (taken over:
    /// libpcap reads and closes it).
    public static func flows(from input: consuming InputFile) throws(SockdiagError) -> (WireFlowTable, WireCaptureSummary) {
        let path = input.displayName, bytes = input.size
        let source = try PcapPacketSource.openFile(path, reading: input.takeDescriptor(), size: bytes)
        let decoder = WirePacketDecoder(linkType: source.linkType)
        var table = WireFlowTable()
        if let bytes { table.reserveCapacity(flows: min(bytes / bytesPerFlowGuess, 1 << 22)) }
        let endedEarly = try source.readAll { bytes, originalLength, time in
            table.record(bytes, originalLength: originalLength, time: time, decoder: decoder)
        }
        let summary = WireCaptureSummary(file: path, interface: nil, linkType: source.linkType,
                                         packets: table.packets, dropped: nil, skipped: table.skipped,
                                         endedEarly: endedEarly)
        return (table, summary)
    }

    /// Short TCP connections on the wire take about 600 bytes of capture file each (SYN to FIN,
    /// a little data); guessing 256 errs on the side of room.
    static let bytesPerFlowGuess = 256

    /// Writes the packets of `capturePath` to `outputPath` as pcapng, each with the kernel view of
    /// its flow as the packet comment.
    /// `output` is the descriptor `PcapngFileWriter.open(outputPath)` gave, taken over.
    public static func writeAnnotated(capturePath: String, outputPath: String, output: consuming FileDescriptor, interface: String?,
                                      table: WireFlowTable, join: WireJoinResult) throws(SockdiagError) {
        let source = try PcapPacketSource.openFile(capturePath)
        let writer = PcapngFileWriter(descriptor: output, path: outputPath, linkType: source.linkType,
                                      snapLength: UInt32(clamping: source.snapLength), interface: interface)
        var annotation = WirePcapngAnnotation(linkType: source.linkType, join: join)
        var failure: SockdiagError?
        try source.readAll { bytes, originalLength, time in
            guard failure == nil else { return }
            let comment = annotation.comment(packet: bytes, originalLength: originalLength, time: time)
            do { try writer.write(packet: bytes, originalLength: originalLength, time: time, comment: comment) }
            catch { failure = (error as? SockdiagError) ?? .invalidInput("\(outputPath): \(error)") }
        }
        if let failure { throw failure }
        try writer.flush()
    }
}
