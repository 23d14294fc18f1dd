import XCTest
@testable import SockdiagCore

/// Trace's sockets open before the run: their event, their heading, and the names they give to
/// later egress records (their own, and those of the sockets a listener accepts).
final class TraceExistingSocketTests: XCTestCase {
    func socket(_ cookie: UInt64, _ state: BindCheckSocketState, local: String, _ localPort: UInt16,
                remote: String? = nil, _ remotePort: UInt16 = 0, pid: Int32 = 7, comm: String = "dotnet") -> TraceExistingSocket {
        TraceExistingSocket(timeNs: 1_000, pid: pid, comm: comm, cgroupID: 9, cookie: cookie, socketFamily: .inet6,
                            transport: .tcp, state: state, v6only: false, local: SocketAddress(IPAddress(local)!, Port(localPort)),
                            remote: remote.map { SocketAddress(IPAddress($0)!, Port(remotePort)) })
    }

    func egress(_ cookie: UInt64, local: String, _ localPort: UInt16) -> TraceEvent {
        .egress(TraceEgress(cookie: cookie, timeNs: 2_000, pid: nil, comm: nil, socketFamily: .inet6, wireProtocol: .ipv4,
                            transport: .tcp, local: SocketAddress(IPAddress(local)!, Port(localPort)),
                            remote: SocketAddress(IPAddress("10.0.0.2")!, Port(50_000)), packets: 1, bytes: 60, isFinal: false))
    }

    func testMappedConnectionEventCarriesItsClassAndEmbeddedAddress() {
        let mapped = socket(5, .established, local: "::ffff:10.0.0.1", 40_000, remote: "::ffff:10.0.0.2", 443)
        XCTAssertTrue(mapped.isMapped)
        XCTAssertEqual(mapped.json.compact, #"{"schema":"sockdiag.trace-event/1","event":"socket","time_ns":1000,"pid":7,"comm":"dotnet","cgroup_id":9,"cookie":5,"socket_family":"inet6","protocol":"tcp","state":"ESTAB","v6only":false,"local_address":"::ffff:10.0.0.1","local_port":40000,"remote_address":"::ffff:10.0.0.2","remote_port":443,"class":"ipv4-mapped","ipv4":"10.0.0.2","cgroup":null,"unit":null,"container":null}"#)
        guard case let .object(pairs) = mapped.json else { return XCTFail("not an object") }
        XCTAssertEqual(pairs.map(\.0), TraceEventKey.socketOrder.map(\.rawValue))
        let listener = socket(6, .listen, local: "::", 8080)
        XCTAssertTrue(listener.json.compact.contains(#""state":"LISTEN","v6only":false,"local_address":"::","local_port":8080,"remote_address":null,"remote_port":null,"class":null,"cgroup":null,"unit":null,"container":null}"#))
    }

    func testTheHoldersWorkloadIsNamedInJSONAndText() {
        var socket = socket(5, .listen, local: "::", 443)
        socket.cgroup = ProcessCgroup(path: "/system.slice/docker-" + String(repeating: "ab", count: 32) + ".scope")
        XCTAssertTrue(socket.json.compact.hasSuffix(#""unit":null,"container":{"runtime":"docker","id":"\#(String(repeating: "ab", count: 32))"}}"#), socket.json.compact)
        XCTAssertTrue(TraceRenderer(utcOffsetSeconds: 0).render(existing: [socket]).contains("dotnet [docker abababababab]"))
        let call = TraceSocketCall(TraceTaskContext(hook: .connect4, timeNs: 1, pid: 7, tid: 7, comm: "dotnet", uid: 0, cgroupID: 9, cookie: 3,
                                                    socketFamily: .inet, transport: .tcp, cgroup: ProcessCgroup(path: "/system.slice/billing.service")),
                                   hookAddress: IPAddress("10.0.0.1")!, port: Port(443))
        var buffer = TraceOutputBuffer()
        TraceEvent.socketCall(call).appendJSONLine(lesson: nil, to: &buffer)
        XCTAssertTrue(String(decoding: buffer.bytes, as: UTF8.self).contains(#""cgroup":"/system.slice/billing.service","unit":"billing.service","container":null,"lesson""#))
    }

    /// COMM is sized for the workloads known at the start; a wider cell pushes its line right only
    /// until the padding after it takes the excess back, as ps does.
    func testCommColumnFitsTheWorkloadLabelsAndAnOverflowIsTakenBack() {
        let docker = ProcessCgroup(path: "/system.slice/docker-" + String(repeating: "ab", count: 32) + ".scope")
        let width = TraceRenderer.commWidth(fitting: [ProcessCgroup(path: "/"), docker, ProcessCgroup(path: "/system.slice")])
        XCTAssertEqual(width, 15 + " [docker abababababab]".count)
        XCTAssertEqual(TraceRenderer.commWidth(fitting: [ProcessCgroup(path: "/system.slice/" + String(repeating: "x", count: 80) + ".service")]),
                       TraceRenderer.widestComm)
        XCTAssertEqual(TraceRenderer.commWidth(fitting: [ProcessCgroup(path: "/sockdiag-trace-42")]), TraceRenderer.commandNameWidth)
        let renderer = TraceRenderer(utcOffsetSeconds: 0, commWidth: width)
        let header = renderer.line(["TIME", "PID", "COMM", "HOOK", "SOCKET", "ADDRESS", "CLASS"])
        let fits = renderer.line(["12:00:00.000000", "7", "dotnet [docker abababababab]", "connect4", "inet/tcp", "10.0.0.1:443", "ipv4"])
        XCTAssertEqual(fits.firstRange(of: "connect4")?.lowerBound.utf16Offset(in: fits), header.firstRange(of: "HOOK")?.lowerBound.utf16Offset(in: header))
        XCTAssertEqual(fits.firstRange(of: "ipv4")?.lowerBound.utf16Offset(in: fits), header.firstRange(of: "CLASS")?.lowerBound.utf16Offset(in: header))
        // Eight columns too wide: two spaces after it, and the padding after takes the eight back.
        let wide = renderer.line(["12:00:00.000000", "7", "dotnet [docker abababababab] xxxxxxxxxxxxxxxx", "connect4", "inet/tcp", "10.0.0.1:443", "ipv4"])
        XCTAssertTrue(wide.contains("xxxxxxxxxxxxxxxx  connect4"), wide)
        XCTAssertEqual(wide.firstRange(of: "ipv4")?.lowerBound.utf16Offset(in: wide), header.firstRange(of: "CLASS")?.lowerBound.utf16Offset(in: header))
        XCTAssertEqual(wide.count, fits.count)
    }

    func testTextShowsThemUnderTheirOwnHeading() {
        let renderer = TraceRenderer(utcOffsetSeconds: 0)
        XCTAssertEqual(renderer.render(existing: []), "")
        let text = renderer.render(existing: [socket(5, .established, local: "::ffff:10.0.0.1", 40_000, remote: "::ffff:10.0.0.2", 443)])
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.first, "Sockets open before the trace (1)")
        XCTAssertTrue(lines[2].contains("ESTAB") && lines[2].contains("[::ffff:10.0.0.1]:40000 -> [::ffff:10.0.0.2]:443")
                      && lines[2].hasSuffix("ipv4-mapped (10.0.0.2)"), String(lines[2]))
    }

    func testLaterEgressOfAnOpenSocketAndOfAnAcceptedOneNameTheirProcess() {
        var session = TraceSession()
        session.record(existing: socket(5, .established, local: "::ffff:10.0.0.1", 40_000, remote: "::ffff:10.0.0.2", 443))
        session.record(existing: socket(6, .listen, local: "::", 8080, pid: 8, comm: "server"))
        guard case let .egress(own) = session.process(egress(5, local: "10.0.0.1", 40_000)).event,
              case let .egress(accepted) = session.process(egress(99, local: "10.0.0.1", 8080)).event,
              case let .egress(unknown) = session.process(egress(100, local: "10.0.0.1", 8081)).event else { return XCTFail() }
        XCTAssertEqual(own.pid, 7)
        XCTAssertEqual(accepted.pid, 8)
        XCTAssertEqual(accepted.comm, "server")
        XCTAssertNil(unknown.pid)
    }

    /// A holder the kernel saw send (a worker an accepted socket was handed to) names the socket
    /// over its listener's process; the record's own cgroup stays, or the owner's when it is the
    /// same process.
    func testAHolderTheKernelSawSendNamesTheSocket() {
        var session = TraceSession()
        session.record(existing: socket(6, .listen, local: "::", 8080, pid: 8, comm: "server"))
        session.record(existing: socket(5, .established, local: "::ffff:10.0.0.1", 40_000, remote: "::ffff:10.0.0.2", 443))
        guard case var .egress(handed) = egress(99, local: "10.0.0.1", 8080),
              case var .egress(own) = egress(5, local: "10.0.0.1", 40_000) else { return XCTFail() }
        handed.pid = 12
        handed.comm = "worker"
        handed.cgroup = ProcessCgroup(path: "/system.slice/web.service")
        own.pid = 7
        own.comm = "dotnet-worker"
        guard case let .egress(worker) = session.process(.egress(handed)).event,
              case let .egress(same) = session.process(.egress(own)).event else { return XCTFail() }
        XCTAssertEqual(worker.pid, 12)
        XCTAssertEqual(worker.comm, "worker")
        XCTAssertEqual(worker.cgroup?.workload.unit?.name, "web.service")
        XCTAssertEqual(same.pid, 7)
        XCTAssertEqual(same.comm, "dotnet-worker", "the sending thread's name")
    }
}
