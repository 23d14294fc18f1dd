#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A socket this process owns; closed when the value goes away.
public final class OwnedSocket {
    public private(set) var descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close() }

    public func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Opens a TCP socket of the address's family, binds it (IPV6_V6ONLY as given for IPv6) and,
    /// when `listening`, puts it to listen.
    public static func tcp(boundTo address: SocketAddress, v6only: Bool? = nil, listening: Bool) throws(SockdiagError) -> OwnedSocket {
        let fd = socket(address.family.socketFamilyValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: Errno(errno), context: "\(address)") }
        let owned = OwnedSocket(descriptor: fd)
        if let v6only {
            var value: Int32 = v6only ? 1 : 0
            guard setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw .system(call: "setsockopt(IPV6_V6ONLY)", errno: Errno(errno), context: "\(address)")
            }
        }
        guard address.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
            throw .system(call: "bind", errno: Errno(errno), context: "\(address)")
        }
        if listening, listen(fd, 128) != 0 {
            throw .system(call: "listen", errno: Errno(errno), context: "\(address)")
        }
        return owned
    }

    /// Connects a new TCP socket of `family` to `destination`, sends `payload` and closes.
    public static func connectSendClose(family: AddressFamily, to destination: SocketAddress, payload: [UInt8]) throws(SockdiagError) {
        let fd = socket(family.socketFamilyValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: Errno(errno), context: "\(destination)") }
        let owned = OwnedSocket(descriptor: fd)
        guard destination.withSockaddr({ connect(fd, $0, $1) }) == 0 else {
            throw .system(call: "connect", errno: Errno(errno), context: "\(destination)")
        }
        _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        owned.close()
    }

    /// The port the kernel gave the socket (for a bind to port 0).
    public var localPort: Port? { SockdiagSystem.localPort(ofSocket: descriptor) }
}
