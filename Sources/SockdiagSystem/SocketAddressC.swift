#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

extension SocketAddress {
    /// Calls `body` with this address as a `sockaddr_in` or `sockaddr_in6` and its length.
    public func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch address {
        case let .v4(a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.value.bigEndian
            sin.sin_addr.s_addr = a.networkOrderValue
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case let .v6(a):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.value.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (i, byte) in a.bytes.enumerated() { raw[i] = byte }
            }
            // An interface name, or a numeric zone that is the index itself (RFC 4007).
            if let zone = a.zone { sin6.sin6_scope_id = if_nametoindex(zone) != 0 ? if_nametoindex(zone) : UInt32(zone) ?? 0 }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }
}

/// The local port of a bound socket, from getsockname; nil when the call fails.
func localPort(ofSocket descriptor: Int32) -> Port? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let named = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0 else { return nil }
    // sin_port and sin6_port sit at the same offset.
    return withUnsafeBytes(of: storage) { Port(UInt16($0[2]) << 8 | UInt16($0[3])) }
}
