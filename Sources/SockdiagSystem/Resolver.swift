#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The system resolver as clients call it: getaddrinfo with AF_UNSPEC, one socket type (so each
/// address comes once), with or without AI_ADDRCONFIG.
public enum Resolver {
    /// Why getaddrinfo gave no answer: its code's name and glibc's own message.
    public struct Failure: Error, Hashable, Sendable {
        public let code: Int32
        /// With EAI_SYSTEM, the errno of the system call that failed inside getaddrinfo.
        public let system: Errno?

        /// gai_strerror's words, or for EAI_SYSTEM the failed call's.
        public var message: String { system?.message ?? String(cString: gai_strerror(code)) }

        public var name: String {
            switch code {
            case EAI_NONAME: return "EAI_NONAME"
            case EAI_AGAIN: return "EAI_AGAIN"
            case EAI_FAIL: return "EAI_FAIL"
            case EAI_FAMILY: return "EAI_FAMILY"
            case EAI_SERVICE: return "EAI_SERVICE"
            case EAI_MEMORY: return "EAI_MEMORY"
            case EAI_SYSTEM: return "EAI_SYSTEM"
            case -5: return "EAI_NODATA"
            case -9: return "EAI_ADDRFAMILY"
            default: return "EAI \(code)"
            }
        }
    }

    /// The addresses of `name`, in the order getaddrinfo returns them.
    public static func resolve(_ name: String, transport: TransportProtocol, addrconfig: Bool) -> Result<[IPAddress], Failure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = addrconfig ? AI_ADDRCONFIG : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let (code, system) = Syscall.getaddrinfo(name, hints: &hints, into: &list)
        guard code == 0 else { return .failure(Failure(code: code, system: system)) }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ai_next }
            guard let sa = entry.pointee.ai_addr, let address = IPAddress(socketAddress: sa) else { continue }
            if !addresses.contains(address) { addresses.append(address) }
        }
        return .success(addresses)
    }
}

extension IPAddress {
    /// The address in a `sockaddr_in` or `sockaddr_in6` (a link-local IPv6 address keeps its zone).
    init?(socketAddress sa: UnsafePointer<sockaddr>) {
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            let sin = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in.self).pointee
            self = .v4(IPv4Address(UInt32(bigEndian: sin.sin_addr.s_addr)))
        case AF_INET6:
            let sin6 = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in6.self).pointee
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            var zone: String? = nil
            if sin6.sin6_scope_id != 0 {
                zone = NetworkInterface.name(ofIndex: sin6.sin6_scope_id) ?? String(sin6.sin6_scope_id)
            }
            self = .v6(IPv6Address(networkBytes: bytes, zone: zone))
        default:
            return nil
        }
    }
}
