/// The sentences `sockdiag demo` prints after each story, read off the real reports so they say
/// what this machine did, not what it is expected to do.
public enum DemoNarrative {
    /// Story 2: a holder on 127.0.0.1:Q and a server about to bind [::]:Q.
    public static func spotify(_ report: BindCheckReport, holderPID: Int32) -> String {
        let query = report.query
        let port = query.port
        let dualStack = report.trials.first { $0.outcome.request.v6only == false && !$0.outcome.request.reuseaddr && !$0.outcome.request.reuseport }
        let ipv4Client = IPAddress.v4(.loopback)
        let afterV6only = report.receivers.first { $0.scenario == .afterBind(v6only: true) && $0.destination == ipv4Client }
        let holderGetsIPv4 = afterV6only?.reception.map { reception in
            reception.receivers.contains { id in
                guard case let .existing(inode) = id, let socket = report.socket(inode: inode) else { return false }
                return socket.ownership.owners.contains { $0.pid == holderPID }
            }
        } ?? false
        var sentences: [String] = []
        if let dualStack {
            if let errno = dualStack.outcome.errno {
                sentences.append("Here a dual-stack bind of [::]:\(port) fails with \(errno.name) because pid \(holderPID) holds 127.0.0.1:\(port), so a server that binds [::]:0 is never given this port by Linux.")
            } else {
                sentences.append("Here a dual-stack bind of [::]:\(port) succeeds although pid \(holderPID) holds 127.0.0.1:\(port).")
            }
        }
        if holderGetsIPv4 {
            sentences.append("But a server that sets IPV6_V6ONLY=1 binds it, and then IPv4 clients of 127.0.0.1:\(port) reach pid \(holderPID), not the server: the Spotify failure. (macOS lets even the dual-stack bind succeed and still hands IPv4 clients to the more specific 127.0.0.1 socket.)")
            sentences.append("Fix: bind both families explicitly ([::] with V6ONLY=1 and 0.0.0.0), so a taken IPv4 port fails the bind instead of sending clients elsewhere.")
        } else {
            sentences.append("IPv4 clients of 127.0.0.1:\(port) would not reach pid \(holderPID) after the bind, so this machine does not show the Spotify failure.")
        }
        return sentences.joined(separator: " ")
    }
}

extension DemoNarrative {
    /// Story 1: what the joined flows of a dual-mode client say, flow by flow.
    public static func mappedClient(_ join: WireJoinResult) -> String {
        var sentences: [String] = []
        for flow in join.flows {
            guard let kernel = flow.kernel, let hook = kernel.hook else { continue }
            let kernelAddress = SocketAddress(kernel.address.ipAddress, Port(kernel.port))
            let who = kernel.pid.map { "pid \($0)" } ?? "the client"
            let wireText = flow.wire.map { wire in
                let version = wire.key.source.isIPv6 ? "IPv6" : "IPv4"
                return "\(version) (\(SocketAddress(wire.key.source.ipAddress, Port(wire.key.sourcePort))) -> \(SocketAddress(wire.key.destination.ipAddress, Port(wire.key.destinationPort))), \(wire.packets) packets)"
            }
            switch flow.verdict {
            case .ipv4Mapped:
                sentences.append("The kernel ran \(hook.rawValue) for \(kernelAddress) on an AF_INET6 socket of \(who), yet on lo that flow is \(wireText ?? "IPv4"): a redirect hooked only on connect4 never sees this connection, and a cgroup_skb rule that tests skb->family == AF_INET6 would drop its IPv4 packets; test skb->protocol instead.")
            case .same:
                sentences.append("The connection to \(kernelAddress) is \(kernel.socketFamily == .inet6 ? "IPv6" : "IPv4") in both views\(wireText.map { ": \($0)" } ?? "").")
            case .kernelOnly:
                sentences.append("The kernel saw \(hook.rawValue) to \(kernelAddress), but no packet of it reached lo.")
            case .nat64, .clat, .wireOnly, .addressProbe:
                continue
            }
        }
        if join.count(.ipv4Mapped) > 0 {
            sentences.append("This is the dotnet story: the kernel's view (AF_INET6) and the wire's (IPv4) disagree, and only a tool that shows both explains it.")
        } else {
            sentences.append("No flow here had an AF_INET6 socket with IPv4 on the wire.")
        }
        return sentences.joined(separator: " ")
    }
}
