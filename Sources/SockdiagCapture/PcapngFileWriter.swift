import SockdiagCore
import SockdiagSystem

/// Writes a pcapng file block by block through a buffer.
public final class PcapngFileWriter {
    private let output: FileDescriptor
    private var buffer: [UInt8] = []
    public let path: String

    /// Creates (or empties) the file a run will write, before the run starts: a path that cannot
    /// be written is known before anything is traced or captured. The caller owns the descriptor
    /// until it hands it to `init(descriptor:...)`.
    public static func open(_ path: String) throws(SockdiagError) -> FileDescriptor {
        do throws(Errno) {
            return try FileDescriptor.create(path)
        } catch {
            throw .invalidInput("cannot write --write-pcapng \(path): \(error.message)")
        }
    }

    public convenience init(path: String, linkType: WireLinkType, snapLength: UInt32, interface: String?) throws(SockdiagError) {
        self.init(descriptor: try PcapngFileWriter.open(path), path: path, linkType: linkType,
                  snapLength: snapLength, interface: interface)
    }

    /// Takes over `descriptor`, open for writing at the start of an empty file; it closes with the writer.
    public init(descriptor: consuming FileDescriptor, path: String, linkType: WireLinkType, snapLength: UInt32, interface: String?) {
        output = descriptor
        self.path = path
        buffer.reserveCapacity(1 << 20)
        buffer += WirePcapngEncoder.sectionHeader(application: "sockdiag \(CommandCatalog.version)")
        buffer += WirePcapngEncoder.interfaceDescription(linkType: linkType, snapLength: snapLength, name: interface)
    }

    public func write(packet: UnsafeRawBufferPointer, originalLength: Int, time: UInt64, comment: [UInt8]?) throws(SockdiagError) {
        WirePcapngEncoder.enhancedPacket(timeNs: time, packet: packet,
                                         originalLength: UInt32(clamping: originalLength), comment: comment, to: &buffer)
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func flush() throws(SockdiagError) {
        let written = buffer.withUnsafeBytes { bytes in Result { () throws(Errno) in try output.writeAll(bytes) } }
        if case let .failure(error) = written { throw .invalidInput("cannot write --write-pcapng \(path): \(error.message)") }
        buffer.removeAll(keepingCapacity: true)
    }
}
