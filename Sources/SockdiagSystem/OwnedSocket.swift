#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A socket this process owns, closed exactly once: by `close()` or a consuming hand-over, which
/// consume the owner, or when the owner goes out of scope. A use after the close, or a second
/// close, does not compile. The number is lent only for the length of a call (`withDescriptor`).
public struct OwnedSocket: ~Copyable {
    private let file: FileDescriptor

    /// Takes over `descriptor`, which nothing else may close.
    init(owning descriptor: Int32) { file = FileDescriptor(owning: descriptor) }

    /// Closes the socket now.
    public consuming func close() { file.close() }

    /// Calls `body` with the number, which it must neither keep nor close.
    public func withDescriptor<Result, Failure: Error>(_ body: (Int32) throws(Failure) -> Result) throws(Failure) -> Result {
        try file.withRawValue(body)
    }

    /// Opens a TCP socket of the address's family, binds it (IPV6_V6ONLY as given for IPv6) and,
    /// when `listening`, puts it to listen.
    public static func tcp(boundTo address: SocketAddress, v6only: Bool? = nil, listening: Bool) throws(SockdiagError) -> OwnedSocket {
        let fd = socket(address.family.socketFamilyValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: .current, context: "\(address)") }
        // From here the socket closes with its owner on every way out.
        let owned = OwnedSocket(owning: fd)
        if let v6only {
            var value: Int32 = v6only ? 1 : 0
            guard setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw .system(call: "setsockopt(IPV6_V6ONLY)", errno: .current, context: "\(address)")
            }
        }
        guard address.withSockaddr({ bind(fd, $0, $1) }) == 0 else {
            throw .system(call: "bind", errno: .current, context: "\(address)")
        }
        if listening, listen(fd, 128) != 0 {
            throw .system(call: "listen", errno: .current, context: "\(address)")
        }
        return owned
    }

    /// Connects a new TCP socket of `family` to `destination`, sends `payload` and closes.
    public static func connectSendClose(family: AddressFamily, to destination: SocketAddress, payload: [UInt8]) throws(SockdiagError) {
        let fd = socket(family.socketFamilyValue, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(call: "socket", errno: .current, context: "\(destination)") }
        let owned = OwnedSocket(owning: fd)
        guard destination.withSockaddr({ connect(fd, $0, $1) }) == 0 else {
            throw .system(call: "connect", errno: .current, context: "\(destination)")
        }
        _ = payload.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        owned.close()
    }

    /// The port the kernel gave the socket (for a bind to port 0).
    public var localPort: Port? { withDescriptor { SockdiagSystem.localPort(ofSocket: $0) } }
}
