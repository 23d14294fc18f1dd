import Foundation
import XCTest

/// Flows that began before the run: a mapped TCP connection opened before it, which keeps
/// sending, and sockets a listener opened before it accepts during it, all named after their
/// process by trace and compare-wire on the cgroup.
final class ExistingSocketsLiveTests: XCTestCase {
    func testTraceReportsTheSocketsOpenBeforeItFirstAndNamesTheirLaterPackets() throws {
        try requirePrivileges("a cgroup and the eBPF tracer")
        let peers = try ExistingSocketsPeers(name: "existing-trace")
        defer { peers.stop() }
        let result = try Sockdiag.run(["trace", "--cgroup", peers.cgroup, "--json", "--duration", "1"])
        XCTAssertEqual(result.status, 1, "a mapped socket is a surprise: \(result.stderr)")
        let lines = result.jsonLines
        let firstOther = try XCTUnwrap(lines.firstIndex { $0["event"] as? String != "socket" })
        let sockets = lines[..<firstOther]
        XCTAssertFalse(lines[firstOther...].contains { $0["event"] as? String == "socket" }, "socket events come first")
        let listener = try XCTUnwrap(sockets.first { $0["state"] as? String == "LISTEN" }, "\(sockets)")
        XCTAssertEqual(listener["pid"] as? Int, Int(peers.insidePid))
        XCTAssertEqual(listener["comm"] as? String, "python3")
        XCTAssertEqual(listener["local_port"] as? Int, peers.listenPort)
        XCTAssertTrue(listener["remote_address"] is NSNull)
        let mapped = try XCTUnwrap(sockets.first { $0["local_port"] as? Int == peers.mappedPort }, "\(sockets)")
        XCTAssertEqual(mapped["socket_family"] as? String, "inet6")
        XCTAssertEqual(mapped["state"] as? String, "ESTAB")
        XCTAssertEqual(mapped["v6only"] as? Bool, false)
        XCTAssertEqual(mapped["remote_address"] as? String, "::ffff:127.0.0.1")
        XCTAssertEqual(mapped["class"] as? String, "ipv4-mapped")
        XCTAssertEqual(mapped["pid"] as? Int, Int(peers.insidePid))
        let cookie = try XCTUnwrap(mapped["cookie"] as? Int)
        // The hooks report the same cookie for the connection's packets, named after its holder.
        let egress = lines.filter { $0["event"] as? String == "egress" }
        let mappedEgress = try XCTUnwrap(egress.first { $0["cookie"] as? Int == cookie }, "\(egress)")
        XCTAssertEqual(mappedEgress["pid"] as? Int, Int(peers.insidePid))
        XCTAssertEqual(mappedEgress["wire_protocol"] as? String, "ipv4")
        let accepted = egress.filter { $0["local_port"] as? Int == peers.listenPort && $0["final"] as? Bool == false }
        XCTAssertFalse(accepted.isEmpty, "sockets accepted during the run send hello: \(egress)")
        for socket in accepted { XCTAssertEqual(socket["pid"] as? Int, Int(peers.insidePid), "\(socket)") }

        let text = try Sockdiag.run(["trace", "--cgroup", peers.cgroup, "--duration", "0.3"])
        let heading = try XCTUnwrap(text.stdout.range(of: "Sockets open before the trace ("), text.stdout)
        let header = try XCTUnwrap(text.stdout.range(of: "TIME                 PID  COMM             HOOK"), text.stdout)
        XCTAssertLessThan(heading.lowerBound, header.lowerBound)
        XCTAssertTrue(text.stdout[heading.lowerBound..<header.lowerBound].contains(
            "[::ffff:127.0.0.1]:\(peers.mappedPort) -> [::ffff:127.0.0.1]:"), text.stdout)
    }

    func testCompareWireNamesTheMappedConnectionAndTheAcceptedSockets() throws {
        try requirePrivileges("a cgroup, the eBPF tracer and a live capture")
        let peers = try ExistingSocketsPeers(name: "existing-wire")
        defer { peers.stop() }
        let result = try Sockdiag.run(["compare-wire", "--cgroup", peers.cgroup, "--interface", "lo", "--duration", "1.5", "--json"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let flows = try XCTUnwrap((result.json as? [String: Any])?["flows"] as? [[String: Any]], result.stdout)
        func sourcePort(_ flow: [String: Any]) -> Int? { (flow["wire"] as? [String: Any])?["sport"] as? Int }
        // The row is found by the socket's own port: the wire side of a connection older than the
        // capture is oriented by whichever end sent first once the capture started.
        let mapped = try XCTUnwrap(flows.first { ($0["kernel"] as? [String: Any])?["local_port"] as? Int == peers.mappedPort }, "\(flows)")
        let wire = try XCTUnwrap(mapped["wire"] as? [String: Any])
        XCTAssertTrue([wire["sport"] as? Int, wire["dport"] as? Int].contains(peers.mappedPort), "\(mapped)")
        XCTAssertEqual(mapped["verdict"] as? String, "ipv4-mapped")
        XCTAssertEqual(mapped["pid"] as? Int, Int(peers.insidePid))
        XCTAssertEqual(mapped["comm"] as? String, "python3")
        XCTAssertEqual(mapped["cgroup"] as? String, "/" + peers.cgroup.split(separator: "/").last!, "rows name the process's cgroup")
        // Rows of the sockets accepted during the run (their wire flow starts at the outside client).
        let served = flows.filter { ($0["kernel"] as? [String: Any])?["local_port"] as? Int == peers.listenPort }
        XCTAssertFalse(served.isEmpty, "\(flows)")
        for flow in served {
            XCTAssertEqual(flow["pid"] as? Int, Int(peers.insidePid), "an accepted socket's row names its server: \(flow)")
            XCTAssertEqual(flow["verdict"] as? String, "same", "\(flow)")
        }
        // Only packets no socket of the cgroup was seen to own stay unnamed: connections served
        // and closed while the programs were being attached.
        let ours = [peers.listenPort, peers.mappedPort]
        for flow in flows where flow["pid"] is NSNull && [sourcePort(flow), (flow["wire"] as? [String: Any])?["dport"] as? Int].contains(where: { ours.contains($0 ?? 0) }) {
            XCTAssertEqual(flow["verdict"] as? String, "wire-only", "\(flow)")
            XCTAssertEqual((flow["wire"] as? [String: Any])?["dport"] as? Int, peers.listenPort, "\(flow)")
        }
    }
}

/// sockdiag run inside a pid namespace of its own (as in a container) names the holders of the
/// sockets it finds as that namespace numbers them, the numbers its own /proc shows.
final class ExistingSocketsPidNamespaceTests: XCTestCase {
    func testTheSnapshotNamesHoldersByTheReadersPidNamespace() throws {
        try requirePrivileges("a pid namespace, a cgroup and the socket iterator")
        let mount = try XCTUnwrap(cgroup2MountPoint(), "no cgroup2 mount")
        let cgroup = "\(mount)/sdtest-pidns-\(getpid())"
        guard mkdir(cgroup, 0o755) == 0 else { throw POSIXError(.EEXIST) }
        defer { removeCgroups([cgroup]) }
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-pidns-\(getpid())").path
        defer { unlink(ready) }
        // Inside the namespace: a listener moves itself into the cgroup and prints its pid as the
        // namespace sees it; sockdiag traces the cgroup; the listener is ended.
        let holder = "import os, socket, time\n"
            + "open('\(cgroup)/cgroup.procs', 'w').write(str(os.getpid()))\n"
            + "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            + "open('\(ready)', 'w').write('%d %d' % (os.getpid(), s.getsockname()[1]))\n"
            + "time.sleep(60)\n"
        let script = """
            python3 -c "\(holder)" & holder=$!
            for i in $(seq 200); do [ -s \(ready) ] && break; sleep 0.05; done
            echo "holder $(cat \(ready))"
            \(Sockdiag.executable.path) trace --cgroup \(cgroup) --json --duration 0.3
            status=$?
            kill $holder; wait $holder
            exit $status
            """
        let result = try runProgram("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", "sh", "-c", script])
        let holderLine = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("holder ") }, result.stdout + result.stderr)
        let fields = holderLine.split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(fields.count, 2, String(holderLine))
        let (insidePid, port) = (fields[0], fields[1])
        XCTAssertLessThan(insidePid, 100, "a fresh namespace numbers its processes from 1")
        let listener = try XCTUnwrap(result.jsonLines.first { $0["event"] as? String == "socket" && $0["local_port"] as? Int == port },
                                     result.stdout + result.stderr)
        XCTAssertEqual(listener["pid"] as? Int, insidePid, "the pid sockdiag's namespace gives the holder: \(listener)")
        XCTAssertEqual(listener["comm"] as? String, "python3")
    }
}
