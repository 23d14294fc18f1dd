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
