/// The records of a capture file in the classic pcap format, read in place from its bytes (a
/// mapped file) instead of through libpcap's two `fread` copies per packet, which took about half
/// of compare-wire's capture thread. Only a file that libpcap would hand over unchanged qualifies:
/// this machine's byte order, version 2.4, every record whole and within the snapshot length. For
/// anything else (pcapng, a swapped or older file, a record cut off or longer than the snapshot)
/// `init` answers nil and libpcap reads the file, with its own words for what is wrong.
public struct WireClassicPcap {
    /// The whole file, header included.
    private let bytes: UnsafeRawBufferPointer
    /// Timestamps in the file are nanoseconds (else microseconds).
    private let nanoseconds: Bool

    static let fileHeaderLength = 24
    static let recordHeaderLength = 16

    /// Whether a file that starts with `magic` (its first 4 bytes, read in this machine's byte
    /// order) has nanosecond timestamps; nil when it is not a classic pcap file in that order.
    public static func nanosecondTimestamps(magic: UInt32) -> Bool? {
        switch magic {
        case 0xA1B2_C3D4: false
        case 0xA1B2_3C4D: true
        default: nil
        }
    }

    /// `snapshot`: the snapshot length libpcap settled on when it read the file header.
    public init?(_ bytes: UnsafeRawBufferPointer, snapshot: Int) {
        guard bytes.count >= Self.fileHeaderLength,
              let nanoseconds = Self.nanosecondTimestamps(magic: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) else { return nil }
        self.nanoseconds = nanoseconds
        guard bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self) == 2,
              bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self) == 4 else { return nil }
        // Every record whole and within the snapshot length, or libpcap reads the file.
        var offset = Self.fileHeaderLength
        while offset < bytes.count {
            guard bytes.count - offset >= Self.recordHeaderLength else { return nil }
            let captured = Int(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
            guard captured <= snapshot, bytes.count - offset - Self.recordHeaderLength >= captured else { return nil }
            offset += Self.recordHeaderLength + captured
        }
        self.bytes = bytes
    }

    /// Each packet's captured bytes, original length and time (ns since the epoch), in file order,
    /// as libpcap opened for nanosecond timestamps gives them.
    public func forEachPacket(_ body: (UnsafeRawBufferPointer, _ originalLength: Int, _ time: UInt64) -> Void) {
        var offset = Self.fileHeaderLength
        while offset < bytes.count {
            // The file's 32-bit fields are signed seconds and fractions, as libpcap reads them.
            let seconds = Int64(bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            let fraction = Int64(bytes.loadUnaligned(fromByteOffset: offset + 4, as: Int32.self))
            let captured = Int(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self))
            let original = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let data = offset + Self.recordHeaderLength
            body(UnsafeRawBufferPointer(rebasing: bytes[data..<(data + captured)]), original,
                 WireClassicPcap.time(seconds: seconds, fraction: nanoseconds ? fraction : fraction &* 1000))
            offset = data + captured
        }
    }

    /// A timestamp in ns since the epoch; a time before it wraps rather than stopping the run.
    public static func time(seconds: Int64, fraction: Int64) -> UInt64 {
        UInt64(bitPattern: seconds) &* 1_000_000_000 &+ UInt64(bitPattern: fraction)
    }
}
