#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Real trial binds: a socket created, configured, bound, put to listen (TCP) and closed at once.
/// The listening lasts microseconds; no connection is accepted.
public enum BindCheckTrialBinder {
    public static func run(_ request: BindCheckTrialRequest) -> BindCheckTrialOutcome {
        BindCheckTrialOutcome(request: request, result: attempt(request))
    }

    static func attempt(_ request: BindCheckTrialRequest) -> Result<Port, BindCheckTrialFailure> {
        func fail(_ stage: BindCheckTrialStage) -> Result<Port, BindCheckTrialFailure> {
            .failure(BindCheckTrialFailure(stage: stage, errno: Errno(errno)))
        }
        let family = request.address.family.socketFamilyValue
        let type = (request.transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(family, type, 0)
        guard fd >= 0 else { return fail(.socket) }
        defer { close(fd) }
        func enable(_ level: Int32, _ name: Int32, _ on: Bool) -> Bool {
            var value: Int32 = on ? 1 : 0
            return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
        }
        if let v6only = request.v6only, !enable(Int32(IPPROTO_IPV6), IPV6_V6ONLY, v6only) { return fail(.setsockopt) }
        if request.reuseaddr, !enable(SOL_SOCKET, SO_REUSEADDR, true) { return fail(.setsockopt) }
        if request.reuseport, !enable(SOL_SOCKET, SO_REUSEPORT, true) { return fail(.setsockopt) }
        let bound: Int32
        switch request.address {
        case let .v4(a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = request.port.value.bigEndian
            sin.sin_addr.s_addr = a.networkOrderValue
            bound = withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case let .v6(a):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = request.port.value.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (i, byte) in a.bytes.enumerated() { raw[i] = byte }
            }
            if let zone = a.zone { sin6.sin6_scope_id = if_nametoindex(zone) }
            bound = withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        guard bound == 0 else { return fail(.bind) }
        if request.transport == .tcp, listen(fd, 1) != 0 { return fail(.listen) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return .success(request.port) }
        // sin_port and sin6_port sit at the same offset.
        let port = withUnsafeBytes(of: storage) { UInt16($0[2]) << 8 | UInt16($0[3]) }
        return .success(Port(port))
    }
}
