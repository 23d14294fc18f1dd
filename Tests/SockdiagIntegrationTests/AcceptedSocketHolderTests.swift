import Foundation
import XCTest

/// A server whose accepted sockets are served by other processes: every other connection by a
/// worker it forks (`sdworker`; the server closes its copy, inetd and pre-fork style), the others
/// by a handler it passes the socket to with SCM_RIGHTS (`sdpassed`; the server closes its copy).
/// Each serving process appends `PID CLIENT-PORT` to a file, so the test knows who held which
/// connection. A client outside the cgroup connects every 100 ms.
private let handedOverScript = #"""
import os, socket, sys, time
role = sys.argv[1]
if role == "client":
    port = int(sys.argv[2])
    while True:
        try:
            c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"request\n")
            while c.recv(4096): pass
            c.close()
        except OSError: pass
        time.sleep(0.1)
holders = sys.argv[2]
def serve(c, name):
    open("/proc/self/comm", "w").write(name)
    with open(holders, "a") as f: f.write("%d %d\n" % (os.getpid(), c.getpeername()[1]))
    c.recv(100)
    for _ in range(3):
        c.sendall(name.encode() + b" reply\n"); time.sleep(0.02)
    c.close()
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
if os.fork() == 0:
    ours.close()
    while True:
        _, fds, _, _ = socket.recv_fds(theirs, 16, 1)
        if not fds: os._exit(0)
        serve(socket.socket(fileno=fds[0]), "sdpassed")
theirs.close()
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(64)
print("ready", listener.getsockname()[1], os.getpid(), flush=True)
accepted = 0
while True:
    c, _ = listener.accept()
    accepted += 1
    if accepted % 2:
        if os.fork() == 0:
            listener.close(); serve(c, "sdworker"); os._exit(0)
    else:
        socket.send_fds(ours, [b"x"], [c.fileno()])
    c.close()
    try:
        while os.waitpid(-1, os.WNOHANG)[0]: pass
    except ChildProcessError: pass
"""#

final class AcceptedSocketHolderTests: XCTestCase {
    private var cgroup = ""
    private var script: URL!
    private var holdersFile = ""
    private let server = Process(), client = Process()
    private var serverPid: Int32 = 0
    private var port = 0

    override func setUpWithError() throws {
        try requirePrivileges("a cgroup, the eBPF tracer and a live capture")
        let mount = try XCTUnwrap(cgroup2MountPoint(), "no cgroup2 mount")
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        cgroup = "\(mount)/sdtest-handed-over-\(tag)"
        script = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-handed-over-\(tag).py")
        holdersFile = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-handed-over-\(tag).holders").path
        try handedOverScript.write(to: script, atomically: true, encoding: .utf8)
        guard mkdir(cgroup, 0o755) == 0 else { throw POSIXError(.EEXIST) }
        // `sh` moves itself into the cgroup, then becomes the server.
        let ready = try server.startAndReadFirstLine(
            ["sh", "-c", "echo $$ > \(cgroup)/cgroup.procs && exec python3 \(script.path) server \(holdersFile)"],
            input: Pipe(), output: Pipe()).split(separator: " ").dropFirst().compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard ready.count == 2 else { throw POSIXError(.EIO) }
        (port, serverPid) = (ready[0], Int32(ready[1]))
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", script.path, "client", String(port)]
        client.standardOutput = FileHandle.nullDevice
        try client.run()
    }

    override func tearDown() {
        for process in [client, server] where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        // The server's workers and handler end once it is gone; kill what is left in the cgroup.
        if let text = try? String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8) {
            for pid in text.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        removeCgroups([cgroup])
        if let script { try? FileManager.default.removeItem(at: script) }
        unlink(holdersFile)
    }

    /// Client port -> pid of the process that served that connection.
    private func holders() -> [Int: Int] {
        var holders: [Int: Int] = [:]
        let text = (try? String(contentsOfFile: holdersFile, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").compactMap { Int($0) }
            guard fields.count == 2 else { continue }
            holders[fields[1]] = fields[0]
        }
        return holders
    }

    func testTraceNamesTheProcessAnAcceptedSocketWasHandedTo() throws {
        let result = try Sockdiag.run(["trace", "--cgroup", cgroup, "--json", "--duration", "1.5"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let holders = holders()
        let finals = result.jsonLines.filter {
            $0["event"] as? String == "egress" && $0["final"] as? Bool == true && $0["local_port"] as? Int == port
        }
        var named: Set<String> = []
        for record in finals {
            guard let clientPort = record["remote_port"] as? Int, let holder = holders[clientPort] else { continue }
            XCTAssertNotEqual(record["pid"] as? Int, Int(serverPid), "not the listener's process: \(record)")
            XCTAssertEqual(record["pid"] as? Int, holder, "the process that served the connection: \(record)")
            if let comm = record["comm"] as? String { named.insert(comm) }
            XCTAssertEqual(record["cgroup"] as? String, "/" + cgroup.split(separator: "/").last!, "\(record)")
        }
        XCTAssertEqual(named, ["sdworker", "sdpassed"], "forked workers and the SCM_RIGHTS handler: \(finals)")
    }

    func testCompareWireRowsNameTheProcessAnAcceptedSocketWasHandedTo() throws {
        let result = try Sockdiag.run(["compare-wire", "--cgroup", cgroup, "--interface", "lo", "--duration", "1.5", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let holders = holders()
        let flows = try XCTUnwrap((result.json as? [String: Any])?["flows"] as? [[String: Any]], result.stdout)
        let served = flows.filter { ($0["kernel"] as? [String: Any])?["local_port"] as? Int == port }
        var named: Set<String> = []
        for flow in served {
            guard let clientPort = (flow["kernel"] as? [String: Any])?["port"] as? Int, let holder = holders[clientPort] else { continue }
            XCTAssertEqual(flow["pid"] as? Int, holder, "an accepted socket's row names the process that served it: \(flow)")
            if let comm = flow["comm"] as? String { named.insert(comm) }
            XCTAssertEqual(flow["verdict"] as? String, "same")
        }
        XCTAssertEqual(named, ["sdworker", "sdpassed"], "forked workers and the SCM_RIGHTS handler: \(served)")
    }
}
