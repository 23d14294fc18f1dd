import Foundation
import XCTest

/// sockdiag run inside a pid namespace of its own (unshare --pid --fork --mount-proc, as in a
/// container) numbers processes as that namespace does, in live hook events, `--pid` and
/// bind-check's owners: the pids its /proc and `ps` show. A process outside the namespace has no
/// number there and is given none of the host's (0, as the kernel's own SO_PEERCRED gives it).
final class PidNamespaceTests: XCTestCase {
    private var cgroup = ""
    private var files: [String] = []
    private var outside: Process?

    override func setUpWithError() throws {
        try requirePrivileges("a pid namespace, a cgroup and the BPF hooks")
        let mount = try XCTUnwrap(cgroup2MountPoint(), "no cgroup2 mount")
        cgroup = "\(mount)/sdtest-pidns-hooks-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(cgroup, 0o755) == 0 else { throw POSIXError(.EEXIST) }
    }

    override func tearDown() {
        if let outside, outside.isRunning {
            kill(outside.processIdentifier, SIGKILL)
            outside.waitUntilExit()
        }
        removeCgroups([cgroup])
        for file in files { unlink(file) }
    }

    /// A path for a file of this test, removed at the end.
    private func file(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-pidns-\(getpid())-\(name)").path
        unlink(path)
        files.append(path)
        return path
    }

    /// A Python program that joins the test's cgroup, writes its pid (as its own namespace numbers
    /// it) to `ready`, and sends a UDP datagram to 127.0.0.1:`port` every 50 ms; once `forkWhen`
    /// exists it forks a child that writes its pid to `childReady` and sends to `port` + 1.
    private func sender(port: Int, ready: String, forkWhen go: String? = nil, childReady: String? = nil) throws -> String {
        let path = file("sender-\(port).py")
        var code = """
            import os, socket, time
            open('\(cgroup)/cgroup.procs', 'w').write(str(os.getpid()))
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            open('\(ready)', 'w').write(str(os.getpid()))
            forked = False
            while True:
                s.sendto(b'x', ('127.0.0.1', \(port)))

            """
        if let go, let childReady {
            code += """
                    if not forked and os.path.exists('\(go)'):
                        forked = True
                        if os.fork() == 0:
                            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                            open('\(childReady)', 'w').write(str(os.getpid()))
                            while True:
                                c.sendto(b'y', ('127.0.0.1', \(port + 1)))
                                time.sleep(0.05)

                """
        }
        code += "    time.sleep(0.05)\n"
        try code.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func waitFor(_ path: String) -> Int? {
        for _ in 0..<400 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let value = Int(text) { return value }
            usleep(25_000)
        }
        return nil
    }

    /// The sendmsg events of a `trace --json` output: (pid, tid, port).
    private func sends(_ result: CommandResult) -> [(pid: Int, tid: Int, port: Int)] {
        result.jsonLines.compactMap { event in
            guard event["event"] as? String == "sendmsg", let pid = event["pid"] as? Int, let tid = event["tid"] as? Int,
                  let port = event["port"] as? Int else { return nil }
            return (pid, tid, port)
        }
    }

    /// Two senders in one cgroup, one inside sockdiag's namespace and one outside it (on the host):
    /// the inside one's events carry the pid the namespace gives it, the outside one's no host pid.
    func testHookEventsNumberProcessesAsSockdiagsNamespaceDoes() throws {
        let insidePort = TraceFixture.port(1), outsidePort = TraceFixture.port(4)
        let insideReady = file("inside-ready"), outsideReady = file("outside-ready")
        let outside = Process()
        outside.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        outside.arguments = [try sender(port: outsidePort, ready: outsideReady)]
        try outside.run()
        self.outside = outside
        let hostPid = try XCTUnwrap(waitFor(outsideReady), "the outside sender did not start")
        let script = """
            python3 \(try sender(port: insidePort, ready: insideReady)) & sender=$!
            for i in $(seq 400); do [ -s \(insideReady) ] && break; sleep 0.025; done
            \(Sockdiag.executable.path) trace --cgroup \(cgroup) --json --duration 1
            status=$?
            kill $sender; wait $sender
            exit $status
            """
        let result = try runProgram("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", "sh", "-c", script])
        let insidePid = try XCTUnwrap(waitFor(insideReady), "the inside sender did not start: \(result.stderr)")
        XCTAssertLessThan(insidePid, 100, "a fresh namespace numbers its processes from 1")
        let sends = sends(result)
        let inside = sends.filter { $0.port == insidePort }, fromOutside = sends.filter { $0.port == outsidePort }
        XCTAssertFalse(inside.isEmpty, result.stdout + result.stderr)
        XCTAssertFalse(fromOutside.isEmpty, result.stdout + result.stderr)
        XCTAssertTrue(inside.allSatisfy { $0.pid == insidePid && $0.tid == insidePid }, "\(inside): the namespace numbers the sender \(insidePid)")
        XCTAssertTrue(fromOutside.allSatisfy { $0.pid == 0 && $0.tid == 0 }, "\(fromOutside): the host's \(hostPid) has no number in the namespace")
        // The sender's egress records name it by the same number.
        let egress = result.jsonLines.filter { $0["event"] as? String == "egress" && $0["remote_port"] as? Int == insidePort }
        XCTAssertFalse(egress.isEmpty, result.stdout)
        XCTAssertTrue(egress.allSatisfy { $0["pid"] as? Int == insidePid }, "\(egress)")
    }

    /// `--pid 2` inside the namespace is the namespace's pid 2: its events and those of the child it
    /// forks once the run has started, and nothing of a neighbour in the same cgroup.
    func testPidIsReadInSockdiagsNamespace() throws {
        let port = TraceFixture.port(2), neighbourPort = TraceFixture.port(7)
        let ready = file("target-ready"), neighbourReady = file("neighbour-ready")
        let go = file("go"), childReady = file("child-ready"), output = file("trace.out")
        let script = """
            python3 \(try sender(port: port, ready: ready, forkWhen: go, childReady: childReady)) & target=$!
            python3 \(try sender(port: neighbourPort, ready: neighbourReady)) & neighbour=$!
            for i in $(seq 400); do [ -s \(ready) ] && [ -s \(neighbourReady) ] && break; sleep 0.025; done
            \(Sockdiag.executable.path) trace --pid $target --json --duration 2 > \(output) & sockdiag=$!
            for i in $(seq 400); do [ -s \(output) ] && break; sleep 0.025; done
            touch \(go)
            wait $sockdiag
            status=$?
            kill $target $neighbour; wait
            exit $status
            """
        let result = try runProgram("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", "sh", "-c", script])
        let targetPid = try XCTUnwrap(waitFor(ready), "the target did not start: \(result.stderr)")
        let childPid = try XCTUnwrap(waitFor(childReady), "the target did not fork: \(result.stderr)")
        XCTAssertLessThan(targetPid, 100, "a fresh namespace numbers its processes from 1")
        let trace = CommandResult(status: result.status, stdout: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "", stderr: result.stderr)
        XCTAssertEqual(trace.status, 0, trace.stderr)
        let sends = sends(trace)
        XCTAssertTrue(sends.contains { $0.pid == targetPid && $0.port == port }, "the target's sends: \(sends), \(trace.stderr)")
        XCTAssertTrue(sends.contains { $0.pid == childPid && $0.port == port + 1 }, "its child's sends: \(sends)")
        XCTAssertFalse(sends.contains { $0.port == neighbourPort }, "the neighbour's sends: \(sends)")
        XCTAssertTrue(sends.allSatisfy { [targetPid, childPid].contains($0.pid) }, "\(sends)")
    }

    /// bind-check run inside the namespace names a listener's holder by the namespace's pid.
    func testBindCheckOwnersAreNumberedAsSockdiagsNamespaceDoes() throws {
        let ready = file("listener-ready")
        let listener = file("listener.py")
        try """
            import os, socket, time
            s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()
            open('\(ready)', 'w').write('%d %d' % (os.getpid(), s.getsockname()[1]))
            time.sleep(60)
            """.write(toFile: listener, atomically: true, encoding: .utf8)
        let script = """
            python3 \(listener) & holder=$!
            for i in $(seq 400); do [ -s \(ready) ] && break; sleep 0.025; done
            \(Sockdiag.executable.path) bind-check --json 127.0.0.1 $(cut -d' ' -f2 \(ready))
            status=$?
            kill $holder; wait $holder
            exit $status
            """
        let result = try runProgram("/usr/bin/unshare", ["--pid", "--fork", "--mount-proc", "sh", "-c", script])
        let fields = ((try? String(contentsOfFile: ready, encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(fields.count, 2, result.stderr)
        guard fields.count == 2 else { return }
        let (holderPid, port) = (fields[0], fields[1])
        XCTAssertLessThan(holderPid, 100, "a fresh namespace numbers its processes from 1")
        let doc = try XCTUnwrap(result.json as? [String: Any], result.stdout + result.stderr)
        let sockets = doc["sockets"] as? [[String: Any]] ?? []
        let listening = try XCTUnwrap(sockets.first { $0["port"] as? Int == port || $0["local_port"] as? Int == port } ?? sockets.first, "\(doc)")
        let owners = listening["owners"] as? [[String: Any]] ?? []
        XCTAssertEqual(owners.map { $0["pid"] as? Int }, [holderPid], "\(listening)")
        XCTAssertEqual(owners.first?["comm"] as? String, "python3")
    }
}
