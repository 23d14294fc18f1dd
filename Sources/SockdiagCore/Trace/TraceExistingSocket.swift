/// A socket a process of the target already held when the run started, read from its file table
/// (bpf/socket_snapshot.bpf.c): a connection opened before any hook could see its connect, a
/// listener, an accepted socket. Its cookie is the one the hooks report for its later packets.
public struct TraceExistingSocket: Hashable, Sendable {
    /// When the snapshot was taken, nanoseconds since the Unix epoch.
    public let timeNs: UInt64
    public let pid: Int32
    public let comm: String
    /// The holding process's cgroup v2 id.
    public let cgroupID: UInt64
    public let cookie: UInt64
    public let socketFamily: AddressFamily
    public let transport: TransportProtocol
    public let state: BindCheckSocketState
    public let v6only: Bool
    public let local: SocketAddress
    /// nil for a socket with no peer (a listener, an unconnected UDP socket).
    public let remote: SocketAddress?
    /// The holder's cgroup (`cgroupID`) and the workload it names; set by the reader that can look it up.
    public var cgroup: ProcessCgroup?

    public init(timeNs: UInt64, pid: Int32, comm: String, cgroupID: UInt64, cookie: UInt64, socketFamily: AddressFamily,
                transport: TransportProtocol, state: BindCheckSocketState, v6only: Bool, local: SocketAddress,
                remote: SocketAddress?) {
        self.timeNs = timeNs
        self.pid = pid
        self.comm = comm
        self.cgroupID = cgroupID
        self.cookie = cookie
        self.socketFamily = socketFamily
        self.transport = transport
        self.state = state
        self.v6only = v6only
        self.local = local
        self.remote = remote
    }

    /// The peer's class: `ipv4-mapped` for an AF_INET6 socket talking to an IPv4 peer.
    public var remoteClassification: AddressClassification? { remote?.address.classification }

    /// An AF_INET6 socket whose peer is IPv4: its packets are IPv4 on the wire.
    public var isMapped: Bool { socketFamily == .inet6 && remoteClassification?.kind == .ipv4Mapped }

    /// The state as `ss` names it (`ESTAB`, `LISTEN`, `UNCONN`).
    public var stateName: String { state.name(for: transport) }

    /// The `{"event":"socket", ...}` line of `trace --json`, keys in `TraceEventKey.socketOrder`.
    public var json: JSON {
        let classification = remoteClassification
        var pairs: [(TraceEventKey, JSON)] = [
            (.schema, .string(JSONSchemaID.traceEvent)),
            (.event, "socket"),
            (.timeNs, .number(timeNs)),
            (.pid, .number(pid)),
            (.comm, .string(comm)),
            (.cgroupID, .number(cgroupID)),
            (.cookie, .number(cookie)),
            (.socketFamily, .string(socketFamily.rawValue)),
            (.protocol, .string(transport.rawValue)),
            (.state, .string(stateName)),
            (.v6only, .bool(v6only)),
            (.localAddress, .string(local.address.description)),
            (.localPort, .number(local.port.value)),
            (.remoteAddress, .optional(remote?.address.description)),
            (.remotePort, .optional(remote?.port.value)),
            (.class, .optional(classification?.kind.rawValue)),
        ]
        if let v4 = classification?.embeddedIPv4 { pairs.append((.ipv4, .string(v4.description))) }
        return .event(pairs + TraceEventKey.cgroupPairs(cgroup))
    }
}

extension TraceRenderer {
    /// The sockets held before the run, under their own heading, one aligned line each (state in
    /// the HOOK column, both ends in ADDRESS, the peer's class last); empty when there are none.
    public func render(existing sockets: [TraceExistingSocket]) -> String {
        guard !sockets.isEmpty else { return "" }
        var text = style.bold("Sockets open before the trace (\(sockets.count))") + "\n"
        text += style.bold(line(["TIME", "PID", "COMM", "STATE", "SOCKET", "LOCAL -> REMOTE", "CLASS"])) + "\n"
        for socket in sockets {
            var classText = socket.remoteClassification.map { classification in
                classification.kind.rawValue + (classification.embeddedIPv4.map { classification.kind == .ipv4 ? "" : " (\($0))" } ?? "")
            } ?? "-"
            if socket.isMapped { classText = style.yellow(classText) }
            let ends = socket.remote.map { "\(socket.local) -> \($0)" } ?? socket.local.description
            let family = socket.socketFamily.rawValue + "/" + socket.transport.rawValue + (socket.v6only ? " v6only" : "")
            text += line([clock(socket.timeNs), String(socket.pid), PrintableText.of(socket.comm) + (socket.cgroup?.textSuffix ?? ""), socket.stateName,
                          family, ends, classText]) + "\n"
        }
        return text + "\n"
    }
}
