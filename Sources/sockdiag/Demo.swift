#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore
import SockdiagSystem

func runDemo(_ arguments: ParsedArguments, _ terminal: Terminal) throws -> ExitStatus {
    guard Privileges.isRoot else {
        throw SockdiagError.missingPrivilege("demo needs root (CAP_BPF, CAP_SYS_ADMIN, CAP_NET_RAW) for BPF, cgroups and the capture on lo")
    }
    let json = arguments.isSet(DemoCommand.json)
    let executable = try currentExecutable()
    let portTaken = try demoPortTakenOnIPv4(executable: executable)

    if json {
        let document = JSON.object([
            ("port_taken_on_ipv4", portTaken.json),
        ])
        terminal.out(document.pretty + "\n")
        return .ok
    }
    terminal.out(portTaken.text(style: terminal.style))
    return .ok
}

/// Story 2: another program holds 127.0.0.1:Q; what does binding [::]:Q do?
struct DemoPortTaken {
    let holderPID: Int32
    let report: BindCheckReport
    let explanation: String

    var json: JSON {
        .object([
            ("holder_pid", .int(Int64(holderPID))),
            ("bind_check", report.json),
            ("explanation", .string(explanation)),
        ])
    }

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
        throw SockdiagError.system(call: "getsockname", errno: Errno(errno), context: "demo holder socket")
    }
    let holder = try SocketHolderProcess.start([executable, DemoCommand.holderEntry], holding: socket)
    defer { holder.stop() }
    let query = try BindCheckQuery(positionals: ["::", String(port.value)], transport: .tcp)
    let report = BindCheckReport.analyze(try BindCheckProbe.observe(query, netns: nil, inventory: inventory))
    return DemoPortTaken(holderPID: holder.pid, report: report,
                         explanation: DemoNarrative.spotify(report, holderPID: holder.pid))
}

/// The path of this binary, so the demo's helper processes show up as `sockdiag`, not `exe`.
func currentExecutable() throws -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard length > 0 else { throw SockdiagError.system(call: "readlink", errno: Errno(errno), context: "/proc/self/exe") }
    return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
