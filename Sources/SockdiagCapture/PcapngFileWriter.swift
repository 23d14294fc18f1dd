#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore
import SockdiagSystem

/// Writes a pcapng file block by block through a buffer.
public final class PcapngFileWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    public let path: String

    public init(path: String, linkType: WireLinkType, snapLength: UInt32, interface: String?) throws(SockdiagError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .system(call: "open", errno: Errno(errno), context: "cannot write \(path)")
        }
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(1 << 20)
        buffer += WirePcapngEncoder.sectionHeader(application: "sockdiag \(CommandCatalog.version)")
        buffer += WirePcapngEncoder.interfaceDescription(linkType: linkType, snapLength: snapLength, name: interface)
    }

    deinit { close(fd) }

    public func write(packet: UnsafeRawBufferPointer, originalLength: Int, time: UInt64, comment: [UInt8]?) throws(SockdiagError) {
        WirePcapngEncoder.enhancedPacket(timeNanoseconds: time, packet: packet,
                                         originalLength: UInt32(clamping: originalLength), comment: comment, to: &buffer)
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func flush() throws(SockdiagError) {
        let written = buffer.withUnsafeBytes { bytes in Result { () throws(Errno) in try Syscall.writeAll(fd, bytes) } }
        if case let .failure(error) = written { throw .system(call: "write", errno: error, context: "cannot write \(path)") }
        buffer.removeAll(keepingCapacity: true)
    }
}
