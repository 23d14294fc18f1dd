import SockdiagCore

extension NAT64Discovery {
    /// RFC 7050 through the system resolver (getaddrinfo, as a host's own software asks): the
    /// answers come from DNS64, or from /etc/hosts where that names ipv4only.arpa.
    public static func resolve() -> NAT64Discovery {
        switch Resolver.resolve(name, transport: .tcp, addrconfig: false) {
        case let .success(answers): return NAT64Discovery(answers: answers)
        case let .failure(failure): return NAT64Discovery(failure: "\(failure.name): \(failure.message)")
        }
    }
}

extension NAT64Option.Request {
    /// The prefixes, discovering first when asked to.
    public func resolvePrefixes() -> NAT64Prefixes {
        prefixes(discovered: discover ? NAT64Discovery.resolve() : nil)
    }
}
