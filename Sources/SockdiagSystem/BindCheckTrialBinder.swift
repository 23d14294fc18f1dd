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
        let bound = SocketAddress(request.address, request.port).withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else { return fail(.bind) }
        if request.transport == .tcp, listen(fd, 1) != 0 { return fail(.listen) }
        return .success(localPort(ofSocket: fd) ?? request.port)
    }
}
