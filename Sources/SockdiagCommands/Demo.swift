import SockdiagCore
import SockdiagSystem

/// `sockdiag demo`: both dual-stack stories, reproduced on loopback.
public enum Demo {
    public static func run(_ options: DemoOptions, _ terminal: Terminal) throws -> ExitStatus {
        guard Privileges.isRoot else {
            throw SockdiagError.missingPrivilege("needs root (CAP_BPF, CAP_SYS_ADMIN, CAP_NET_RAW) for BPF, cgroups and the capture on lo; run it with sudo")
        }
        let json = options.json
        let executable = try currentExecutable()
        let mapped = try demoMappedClient(executable: executable, terminal: terminal)
        // Story 1 installs the termination handlers, so from then on Ctrl-C is only noted: the demo
        // checks for it between the stories and after them instead of printing a cut-short story.
        if let signal = TerminationSignals.received { return interrupted(by: signal, terminal) }
        let portTaken = try demoPortTakenOnIPv4(executable: executable)
        if let signal = TerminationSignals.received { return interrupted(by: signal, terminal) }

        if json {
            terminal.write(DemoDocument.json(mappedClient: mapped.report, mappedExplanation: mapped.explanation,
                                             holderPID: portTaken.holderPID, bindCheck: portTaken.report,
                                             portTakenExplanation: portTaken.explanation))
            return .ok
        }
        terminal.out(mapped.text(style: terminal.style))
        terminal.out("\n")
        terminal.out(portTaken.text(style: terminal.style))
        return .ok
    }
}

private func interrupted(by signal: Int32, _ terminal: Terminal) -> ExitStatus {
    terminal.fail("demo: stopped by \(TraceCommandResult.signalName(signal)); the cgroup, programs and helper processes are gone")
}

/// Story 1: a dual-mode client reaches an IPv4 host through an AF_INET6 socket.
struct DemoMappedClient {
    let port: Port
    let report: WireReport
    let explanation: String

    func text(style: OutputStyle) -> String {
        var out = style.bold("Story 1: a dual-mode client talks IPv4 through an AF_INET6 socket") + "\n"
        out += "A dual-stack listener waits on [::]:\(port); a client in a transient cgroup connects through\n"
        out += "AF_INET6 to [::ffff:127.0.0.1]:\(port) (as .NET's dual-mode sockets do) and to [::1]:\(port).\n"
        out += "$ sockdiag compare-wire --interface lo -- sockdiag \(DemoCommand.clientEntry) \(port)\n\n"
        out += String(decoding: report.text(style: style), as: UTF8.self)
        out += "\n" + style.bold("What it means:") + "\n" + TextWrap.wrap(explanation, indent: "  ") + "\n"
        return out
    }
}

func demoMappedClient(executable: String, terminal: Terminal) throws -> DemoMappedClient {
    let listener = try OwnedSocket.tcp(boundTo: SocketAddress(.v6(.any), Port(0)), v6only: false, listening: true)
    guard let port = listener.localPort else {
        throw SockdiagError.system(call: "getsockname", errno: .current, context: "demo listener")
    }
    let options = CompareWireOptions(mode: .live(.command([executable, DemoCommand.clientEntry, String(port.value)])), interface: "lo")
    var report = try CompareWire.report(options, terminal: terminal).report
    report.command = nil  // "sockdiag __demo-client exited with status 0" would name a build path
    listener.close()
    return DemoMappedClient(port: port, report: report, explanation: DemoNarrative.mappedClient(report.join))
}

extension Demo {
    /// The demo's client: the two connects a dual-mode socket makes, to `port`.
    public static func runClient(_ port: Port?) -> ExitStatus {
        guard let port else { return .failure }
        do {
            try OwnedSocket.connectSendClose(family: .inet6, to: SocketAddress(.v6(IPv6Address(mapping: .loopback)), port),
                                             payload: Array("GET / HTTP/1.0\r\n\r\n".utf8))
            try OwnedSocket.connectSendClose(family: .inet6, to: SocketAddress(.v6(.loopback), port),
                                             payload: Array("GET / HTTP/1.0\r\n\r\n".utf8))
        } catch {
            StandardStreams.writeError("sockdiag: demo client: \(error)\n")
            return .failure
        }
        return .ok
    }

    /// The demo's socket holder: descriptor 3 held until stdin closes.
    public static func runHolder() -> ExitStatus {
        SocketHolderProcess.holdUntilStdinCloses()
        return .ok
    }
}

/// Story 2: another program holds 127.0.0.1:Q; what does binding [::]:Q do?
struct DemoPortTaken {
    let holderPID: Int32
    let report: BindCheckReport
    let explanation: String

    func text(style: OutputStyle) -> String {
        let port = report.query.port
        var out = style.bold("Story 2: a program holds 127.0.0.1:\(port); a server binds [::]:\(port)") + "\n"
        out += "pid \(holderPID) (standing in for Spotify) listens on 127.0.0.1:\(port).\n"
        out += "$ sockdiag bind-check '[::]:\(port)'\n\n"
        out += report.text(style: style)
        out += "\n" + style.bold("What it means:") + "\n" + TextWrap.wrap(explanation, indent: "  ") + "\n"
        return out
    }
}

func demoPortTakenOnIPv4(executable: String) throws -> DemoPortTaken {
    let socket = try OwnedSocket.tcp(boundTo: SocketAddress(.v4(.loopback), Port(0)), listening: true)
    guard let port = socket.localPort else {
        throw SockdiagError.system(call: "getsockname", errno: .current, context: "demo holder socket")
    }
    let holder = try SocketHolderProcess.start([executable, DemoCommand.holderEntry], holding: socket)
    defer { holder.stop() }
    let query = try BindCheckQuery(positionals: ["::", String(port.value)], transport: .tcp)
    let report = BindCheckReport.analyze(try BindCheckProbe.observe(query, netns: nil, inventory: inventory))
    return DemoPortTaken(holderPID: holder.pid, report: report,
                         explanation: DemoNarrative.spotify(report, holderPID: holder.pid))
}

/// The path of this binary, so the demo's helper processes show up as `sockdiag`, not `exe`.
func currentExecutable() throws -> String { try SystemFile.linkTarget("/proc/self/exe") }
