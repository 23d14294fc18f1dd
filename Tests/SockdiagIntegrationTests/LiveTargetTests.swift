import Foundation
import XCTest

/// `--pid`, `--unit` and `--container` on processes placed in cgroups laid out as systemd, Docker
/// (both drivers), Podman, and the kubelet with containerd and CRI-O lay them out.
final class LiveTargetTests: XCTestCase {
    var lab: WorkloadLab!

    override func setUpWithError() throws {
        try requirePrivileges()
        lab = try WorkloadLab()
    }

    override func tearDown() { lab?.cleanUp() }

    /// The sendmsg events of a finished `trace --json` run: (pid, port).
    func sends(_ stdout: String) -> [(pid: Int32, port: Int)] {
        stdout.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["event"] as? String == "sendmsg", let pid = object["pid"] as? Int, let port = object["port"] as? Int else { return nil }
            return (Int32(pid), port)
        }
    }

    func testEveryRuntimeLayoutIsFoundAndOnlyItsProcessTraced() throws {
        let tag = lab.tag
        let ids = ["a1", "b2", "c3", "d4", "e5", "f6"].map(lab.containerID)
        // (what, cgroup the runtime makes, where its process sits, own network namespace, target)
        let layouts: [(String, String, String, Bool, [String])] = [
            ("systemd service", #"system.slice/sdtest\x2dweb\#(tag).service"#, "", false, ["--unit", "sdtest-web\(tag)"]),
            ("systemd user unit", "user.slice/user-4242.slice/user@4242.service/app.slice/sdtest-backup\(tag).service", "", false,
             ["--unit", "sdtest-backup\(tag).service"]),
            ("docker, systemd driver", "system.slice/docker-\(ids[0]).scope", "", true, ["--container", String(ids[0].prefix(12))]),
            ("docker, cgroupfs driver", "docker/\(ids[1])", "", true, ["--container", ids[1]]),
            ("podman", "machine.slice/libpod-\(ids[2]).scope", "/container", true, ["--container", String(ids[2].prefix(16))]),
            ("kubelet + containerd", "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod12ab_34cd.slice/cri-containerd-\(ids[3]).scope",
             "", true, ["--container", String(ids[3].prefix(12))]),
            ("kubelet + CRI-O", "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod56ef_78ab.slice/crio-\(ids[4]).scope",
             "", true, ["--container", String(ids[4].prefix(12))]),
            ("kubelet cgroupfs", "kubepods/burstable/pod9abc-def0/\(ids[5])", "", true, ["--container", String(ids[5].prefix(12))]),
        ]
        let base = TraceFixture.port(3)
        // A neighbour that sends all along, in a unit of its own.
        let neighbourPort = base + 90
        let neighbour = try lab.sender(in: try lab.cgroup("system.slice/sdtest-neighbour\(tag).service"), port: neighbourPort)
        for (index, (what, runtimeCgroup, child, ownNamespace, target)) in layouts.enumerated() {
            let port = base + index * 5
            let directory = try lab.cgroup(runtimeCgroup + child)
            let pid = try lab.sender(in: directory, netns: ownNamespace ? try lab.namespace() : nil, port: port)
            let result = try Sockdiag.run(["trace", "--json", "--duration", "1"] + target)
            XCTAssertEqual(result.status, 1, "mapped sends are a finding; \(what): \(result.stderr)")
            let seen = sends(result.stdout)
            XCTAssertFalse(seen.isEmpty, "\(what): no sends traced")
            XCTAssertTrue(seen.allSatisfy { $0.pid == pid && $0.port == port }, "\(what): \(seen) (the sender is \(pid), the neighbour \(neighbour))")
            lab.stop(pid)
        }
    }

    func testCompareWireCapturesInTheContainersNamespace() throws {
        let id = lab.containerID("ab")
        let namespace = try lab.namespace()
        let port = TraceFixture.port(5)
        let pid = try lab.sender(in: try lab.cgroup("machine.slice/libpod-\(id).scope/container"), netns: namespace, port: port)
        let result = try Sockdiag.run(["compare-wire", "--json", "--duration", "1.5", "--container", String(id.prefix(12))])
        XCTAssertEqual(result.status, 1, "a mapped flow is a finding: \(result.stderr)")
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let capture = try XCTUnwrap(report["capture"] as? [String: Any])
        XCTAssertEqual(capture["interface"] as? String, "any")
        XCTAssertTrue((capture["netns"] as? String)?.hasPrefix("\(namespace) (net:[") == true, "\(capture)")
        let flows = try XCTUnwrap(report["flows"] as? [[String: Any]])
        // The container's loopback traffic exists only in its namespace: the wire side proves where the capture ran.
        let mapped = flows.filter { $0["verdict"] as? String == "ipv4-mapped" }
        XCTAssertFalse(mapped.isEmpty, "\(flows)")
        XCTAssertTrue(mapped.allSatisfy { $0["pid"] as? Int == Int(pid) }, "\(mapped)")

        // --netns host: the capture stays outside; the header says so, and the wire sees none of it.
        let host = try Sockdiag.run(["compare-wire", "--json", "--duration", "1", "--netns", "host", "--container", String(id.prefix(12))])
        let hostReport = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(host.stdout.utf8)) as? [String: Any])
        let hostCapture = try XCTUnwrap(hostReport["capture"] as? [String: Any])
        var own = stat()
        XCTAssertEqual(stat("/proc/self/ns/net", &own), 0)
        XCTAssertEqual(hostCapture["netns"] as? String, "net:[\(own.st_ino)]")
        let hostFlows = try XCTUnwrap(hostReport["flows"] as? [[String: Any]])
        let senderFlows = hostFlows.filter { $0["pid"] as? Int == Int(pid) }
        XCTAssertFalse(senderFlows.isEmpty, "\(hostFlows)")
        XCTAssertTrue(senderFlows.allSatisfy { $0["verdict"] as? String == "kernel-only" }, "\(senderFlows)")
    }

    func testPidKeepsTheProcessAndItsLaterChildrenNotItsNeighbour() throws {
        let cgroup = try lab.cgroup("system.slice/sdtest-busy\(lab.tag).service")
        let port = TraceFixture.port(7)
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-fork-\(lab.tag)").path
        defer { unlink(go) }
        let target = try lab.sender(in: cgroup, port: port, forkWhen: go)
        let neighbour = try lab.sender(in: cgroup, port: port + 1)
        let trace = try TraceFixture.startTrace(["trace", "--json", "--pid", String(target)])
        try TraceFixture.waitUntilAttached(cgroup, programs: 7)
        XCTAssertTrue(FileManager.default.createFile(atPath: go, contents: nil))
        usleep(800_000)
        let result = try TraceFixture.stop(trace, signal: SIGINT)
        XCTAssertEqual(result.status, 1, "mapped sends are a finding: \(result.stderr)")
        let seen = sends(result.stdout)
        let children = Set(seen.filter { $0.port == port + 2 }.map(\.pid))
        XCTAssertTrue(seen.contains { $0.pid == target && $0.port == port }, "\(seen)")
        XCTAssertEqual(children.count, 1, "the child forked after the start: \(seen)")
        XCTAssertFalse(children.contains(target))
        XCTAssertFalse(seen.contains { $0.pid == neighbour || $0.port == port + 1 }, "the neighbour \(neighbour) leaked: \(seen)")
        XCTAssertTrue(seen.allSatisfy { $0.pid == target || children.contains($0.pid) }, "\(seen)")
        XCTAssertFalse(try runProgram("/usr/sbin/bpftool", ["cgroup", "tree"]).stdout.contains(cgroup))
    }

    func testPidTextHeaderNamesTheCgroupAndTheRunEndsWithTheProcess() throws {
        let cgroup = try lab.cgroup("system.slice/sdtest-short\(lab.tag).service")
        let pid = try lab.sender(in: cgroup, port: TraceFixture.port(9))
        let trace = try TraceFixture.startTrace(["trace", "--pid", String(pid)])
        // Every hook attached, then several of the sender's 20 ms sends through them: the finding is certain.
        try TraceFixture.waitUntilAttached(cgroup, programs: 7)
        usleep(300_000)
        lab.stop(pid)
        let deadline = Date().addingTimeInterval(10)
        while trace.isRunning && Date() < deadline { usleep(20_000) }
        let result = try TraceFixture.stop(trace, signal: SIGINT)
        XCTAssertEqual(result.status, 1, "mapped sends are a finding: \(result.stderr)")
        let relative = String(cgroup.dropFirst(TraceFixture.cgroupRoot.count))
        XCTAssertTrue(result.stdout.hasPrefix("watching pid \(pid) (python3) and the children forked from now on, attached at cgroup \(relative), other processes filtered out in the kernel\n"), result.stdout)
        XCTAssertEqual(result.stderr, "sockdiag: trace: pid \(pid) (python3) and the children it forked have exited; the run ends here\n")
    }

    func testPidInTheRootCgroupSaysEveryProcessPassesTheHooks() throws {
        let port = TraceFixture.port(15)
        let pid = try lab.sender(in: TraceFixture.cgroupRoot, port: port)
        let result = try Sockdiag.run(["trace", "--duration", "1", "--pid", String(pid)])
        XCTAssertEqual(result.status, 1, "mapped sends are a finding: \(result.stderr)")
        let header = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertEqual(header, "watching pid \(pid) (python3) and the children forked from now on, attached at the root cgroup, other processes filtered out in the kernel (in the root cgroup every process on the host passes the hooks and pays for the filter)")
        let rows = result.stdout.split(separator: "\n").filter { $0.contains(" sendmsg4 ") && !$0.hasPrefix("  !") }
        XCTAssertFalse(rows.isEmpty, result.stdout)
        XCTAssertTrue(rows.allSatisfy { $0.contains(" \(pid)  python3 ") && $0.contains(":\(port) ") }, result.stdout)
    }

    func testUnitCgroupRemovedMidRunEndsTheRun() throws {
        let name = "sdtest-restart\(lab.tag).service"
        let cgroup = try lab.cgroup("system.slice/\(name)")
        let pid = try lab.sender(in: cgroup, port: TraceFixture.port(11))
        for subcommand in [["trace"], ["compare-wire", "-i", "lo"]] {
            if subcommand[0] == "compare-wire" { try lab.cgroup("system.slice/\(name)") }
            if subcommand[0] == "compare-wire" { _ = try lab.sender(in: cgroup, port: TraceFixture.port(12)) }
            let process = try TraceFixture.startTrace(subcommand + ["--unit", name])
            try TraceFixture.waitUntilAttached(cgroup, programs: 1)
            for inside in (try? String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8))?.split(separator: "\n") ?? [] {
                lab.stop(Int32(inside) ?? 0)
            }
            TraceFixture.removeCgroup(cgroup)
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            let result = try TraceFixture.stop(process, signal: SIGINT)
            XCTAssertEqual(result.status, 2, "\(subcommand): \(result.stderr)")
            XCTAssertEqual(result.stderr, "sockdiag: \(subcommand[0]): cgroup \(cgroup) of unit \(name) was removed while it was traced; the run ends here\n")
            XCTAssertFalse(try runProgram("/usr/sbin/bpftool", ["cgroup", "tree"]).stdout.contains(cgroup))
        }
        _ = pid
    }

    func testBadTargetsGetOneLineAndStatus2() throws {
        // Two containers whose IDs share their first 13 digits.
        let first = "c0ffee0123456a" + String(lab.containerID("").prefix(50))
        let second = "c0ffee0123456b" + String(lab.containerID("").prefix(50))
        try lab.cgroup("system.slice/docker-\(first).scope")
        try lab.cgroup("system.slice/docker-\(second).scope")
        try lab.cgroup("system.slice/sdtest-known\(lab.tag).service")
        // A process that exited at once and was not reaped: a zombie.
        let zombieParent = Process()
        let zombieLine = try zombieParent.startAndReadFirstLine(
            ["python3", "-c", "import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)"],
            input: Pipe(), output: Pipe())
        defer { zombieParent.terminate(); zombieParent.waitUntilExit() }
        let zombie = try XCTUnwrap(Int32(zombieLine.trimmingCharacters(in: .whitespacesAndNewlines)))
        var unused: Int32 = 4_000_000
        while FileManager.default.fileExists(atPath: "/proc/\(unused)") { unused -= 1 }
        let cases: [([String], String)] = [
            (["--pid", String(unused)], "no process with PID \(unused)"),
            (["--pid", String(zombie)], "process \(zombie) has exited"),
            (["--container", "c0ffee0123456"], "container ID prefix c0ffee0123456 is ambiguous"),
            (["--unit", "sdtest-nosuch\(lab.tag)"], "no systemd unit 'sdtest-nosuch\(lab.tag)' in the cgroup tree; units here: "),
            (["--container", "sdtest-web"], "pass the container's ID"),
            (["--pid", "0"], "--pid needs a process ID"),
            (["--unit", "x", "--pid", "1"], "give one target, not --pid and --unit"),
        ]
        for subcommand in ["trace", "compare-wire"] {
            for (arguments, expected) in cases {
                let result = try Sockdiag.run([subcommand] + arguments, environment: ["DOCKER_HOST": "", "CONTAINER_HOST": ""])
                XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
                XCTAssertEqual(result.stdout, "", "\(arguments)")
                XCTAssertTrue(result.stderr.hasPrefix("sockdiag: ") && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
                XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
            }
        }
        XCTAssertFalse(try runProgram("/usr/sbin/bpftool", ["cgroup", "tree"]).stdout.contains(lab.root))
    }

    func testContainerNameThroughTheAPISocket() throws {
        let id = lab.containerID("9e")
        let cgroup = try lab.cgroup("system.slice/docker-\(id).scope")
        let pid = try lab.sender(in: cgroup, port: TraceFixture.port(13))
        let socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-api-\(lab.tag).sock").path
        defer { unlink(socketPath) }
        let api = try containerAPI(at: socketPath, knowing: id)
        defer { api.terminate(); api.waitUntilExit() }
        let environment = ["DOCKER_HOST": "unix://\(socketPath)"]
        let result = try Sockdiag.run(["trace", "--json", "--duration", "1", "--container", "web"], environment: environment)
        XCTAssertEqual(result.status, 1, "mapped sends are a finding: \(result.stderr)")
        XCTAssertTrue(sends(result.stdout).contains { $0.pid == pid }, result.stdout)
        let missing = try Sockdiag.run(["trace", "--container", "db"], environment: environment)
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "sockdiag: trace: no container named 'db' (\(socketPath) answered 404)\n")
    }

    /// Rootless Podman listens in its user's runtime directory, /run/user/UID/podman/podman.sock:
    /// a name is found there without DOCKER_HOST or CONTAINER_HOST.
    func testContainerNameThroughRootlessPodmansSocket() throws {
        let id = lab.containerID("9f")
        let cgroup = try lab.cgroup("user.slice/user-\(lab.tag).slice/user@\(lab.tag).service/user.slice/libpod-\(id).scope")
        let pid = try lab.sender(in: cgroup, port: TraceFixture.port(14))
        let madeRunUser = !FileManager.default.fileExists(atPath: "/run/user")
        let runtime = "/run/user/\(4_000_000_000 as UInt32 - UInt32(getpid()))"
        try FileManager.default.createDirectory(atPath: runtime + "/podman", withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: runtime)
            if madeRunUser { rmdir("/run/user") }
        }
        let api = try containerAPI(at: runtime + "/podman/podman.sock", knowing: id)
        defer { api.terminate(); api.waitUntilExit() }
        let result = try Sockdiag.run(["trace", "--json", "--duration", "1", "--container", "web"], environment: ["XDG_RUNTIME_DIR": "/nonexistent"])
        XCTAssertEqual(result.status, 1, "mapped sends are a finding: \(result.stderr)")
        XCTAssertTrue(sends(result.stdout).contains { $0.pid == pid }, result.stdout)
    }

    /// A Docker Engine (or Podman) API on `socketPath` that knows one container, "web", as
    /// `docker inspect` asks it.
    func containerAPI(at socketPath: String, knowing id: String) throws -> Process {
        let api = Process()
        let ready = try api.startAndReadFirstLine(["python3", "-c", """
            import http.server, socketserver, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    found = self.path == "/containers/web/json"
                    body = ('{"Id":"%s","Name":"/web"}' % sys.argv[2]) if found else '{"message":"No such container"}'
                    self.send_response(200 if found else 404); self.end_headers(); self.wfile.write(body.encode())
                def log_message(self, *args): pass
            class Server(socketserver.UnixStreamServer):
                def get_request(self): return self.socket.accept()[0], ("local", 0)
            server = Server(sys.argv[1], Handler)
            print("ready", flush=True)
            server.serve_forever()
            """, socketPath, id], input: Pipe(), output: Pipe())
        XCTAssertEqual(ready, "ready\n")
        return api
    }
}
