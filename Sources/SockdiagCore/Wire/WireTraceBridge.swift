extension WireKernelEvent {
    /// The same event as a live tracer reports it, reduced to what the join needs.
    public init(_ event: TraceEvent) {
        self.init()
        switch event {
        case let .socketCall(call):
            switch call.hook {
            case .connect4, .connect6: kind = .connect
            case .sendmsg4, .sendmsg6: kind = .sendmsg
            case .postBind4, .postBind6: kind = .bind
            }
            hook = call.hook
            timeNs = call.timeNs
            pid = UInt32(bitPattern: call.pid)
            comm = WireComm(call.comm)
            cookie = call.cookie
            socketFamily = call.socketFamily
            transport = call.transport
            address = WireAddress(call.address)
            port = call.port.value
        case let .outcome(outcome):
            kind = .outcome
            cookie = outcome.cookie
            timeNs = outcome.timeNs
            self.outcome = outcome.kind
            elapsedNs = outcome.elapsedNs
            error = outcome.error
        case let .egress(egress):
            kind = .egress
            timeNs = egress.timeNs
            pid = egress.pid.map { UInt32(bitPattern: $0) }
            comm = WireComm(egress.comm ?? "")
            cookie = egress.cookie
            socketFamily = egress.socketFamily
            transport = egress.transport
            wireIsIPv6 = egress.wireProtocol == .ipv6
            localAddress = WireAddress(egress.local.address)
            localPort = egress.local.port.value
            remoteAddress = WireAddress(egress.remote.address)
            remotePort = egress.remote.port.value
            packets = egress.packets
            bytes = egress.bytes
        }
    }
}

extension WireKernelEvent {
    /// A socket open before the run, as trace's `socket` event gives it to the join.
    public init(_ socket: TraceExistingSocket) {
        self.init()
        kind = .socket
        timeNs = socket.timeNs
        pid = UInt32(bitPattern: socket.pid)
        comm = WireComm(socket.comm)
        cookie = socket.cookie
        socketFamily = socket.socketFamily
        transport = socket.transport
        listening = socket.state == .listen
        localAddress = WireAddress(socket.local.address)
        localPort = socket.local.port.value
        remoteAddress = socket.remote.map { WireAddress($0.address) }
        remotePort = socket.remote?.port.value
    }
}
