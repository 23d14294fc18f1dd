import Foundation
import XCTest

/// `sockdiag trace` end to end: a dual-stack client in a traced cgroup, both the `--cgroup` and the
/// `-- CMD` forms, and nothing left attached afterwards.
final class TraceTests: XCTestCase {
    func testCommandFormShowsWhatTheKernelSawForEachFamily() throws {
        try requirePrivileges()
        let port = TraceFixture.port(0)
        let before = try TraceFixture.snapshot()
        let result = try Sockdiag.run(["trace", "--json", "--", "python3", TraceFixture.clientScript(), String(port)])
        XCTAssertEqual(result.status, 1, "a mapped connect is a dual-stack surprise: \(result.stderr)")
        let clientPid = try XCTUnwrap(TraceFixture.clientPid(result.stderr), "the client prints its pid on stderr (stdout goes there under --json)")
        TraceFixture.assertDualStackStory(result.jsonLines, pid: clientPid, port: port)
        let summary = try XCTUnwrap(result.jsonLines.last)
        XCTAssertEqual(summary["event"] as? String, "summary")
        let command = try XCTUnwrap(summary["command"] as? [String: Any])
        XCTAssertEqual(command["pid"] as? Int, Int(clientPid))
        XCTAssertEqual(command["exit_status"] as? Int, 0)
        XCTAssertEqual(try TraceFixture.snapshot(), before, "a transient cgroup or program was left behind")
    }

    func testCgroupFormTracesAnExistingCgroupUntilInterrupted() throws {
        try requirePrivileges()
        let port = TraceFixture.port(1)
        let cgroup = try TraceFixture.makeCgroup("cgroup-form")
        defer { TraceFixture.removeCgroup(cgroup) }
        let tracer = try TraceFixture.startTrace(["trace", "--cgroup", cgroup, "--json"])
        try TraceFixture.waitUntilAttached(cgroup, programs: 7)
        let client = try runProgram("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && exec python3 \(try TraceFixture.clientScript()) \(port)"])
        XCTAssertEqual(client.status, 0, client.stderr)
        let clientPid = try XCTUnwrap(TraceFixture.clientPid(client.stderr))
        let result = try TraceFixture.stop(tracer, signal: SIGINT)
        XCTAssertEqual(result.status, 1, result.stderr)
        TraceFixture.assertDualStackStory(result.jsonLines, pid: clientPid, port: port)
        let summary = try XCTUnwrap(result.jsonLines.last)
        XCTAssertEqual(summary["event"] as? String, "summary")
        XCTAssertEqual(summary["lost"] as? Int, 0)
        XCTAssertTrue(summary["command"] is NSNull)
        XCTAssertEqual(try TraceFixture.attachedPrograms(cgroup), 0, "programs stayed attached after SIGINT")
    }

    func testHumanOutputHasOneLinePerEventALessonAndASummary() throws {
        try requirePrivileges()
        let port = TraceFixture.port(2)
        let result = try Sockdiag.run(["trace", "--", "python3", TraceFixture.clientScript(), String(port)])
        XCTAssertEqual(result.status, 1, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("TIME") ?? false, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("connect6") && $0.contains("[::ffff:127.0.0.1]:\(port)") && $0.contains("ipv4-mapped (127.0.0.1)") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("connect4") && $0.contains("127.0.0.1:\(port)") && $0.hasSuffix("ipv4") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("sendmsg4") && $0.contains("inet6/udp") && $0.contains("ipv4-mapped") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("connect4-only redirect misses it") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("check skb->protocol") }, result.stdout)
        XCTAssertTrue(lines.contains("Summary"), result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("lost events:") && $0.hasSuffix(" 0") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("command:") && $0.contains("exited with status 0") }, result.stdout)
    }

    func testCountAndDurationStopOnTheirOwn() throws {
        try requirePrivileges()
        let port = TraceFixture.port(3)
        let cgroup = try TraceFixture.makeCgroup("count")
        defer { TraceFixture.removeCgroup(cgroup) }
        let tracer = try TraceFixture.startTrace(["trace", "--cgroup", cgroup, "--json", "--count", "2"])
        try TraceFixture.waitUntilAttached(cgroup, programs: 7)
        _ = try runProgram("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && exec python3 \(try TraceFixture.clientScript()) \(port)"])
        tracer.waitUntilExit()
        let result = TraceFixture.collect(tracer)
        XCTAssertEqual(result.jsonLines.filter { ["connect", "sendmsg", "bind"].contains($0["event"] as? String) }.count, 2, result.stdout)
        XCTAssertEqual(result.jsonLines.last?["events"] as? Int, 2)

        let start = Date()
        let timed = try Sockdiag.run(["trace", "--cgroup", cgroup, "--duration", "0.5", "--json"])
        XCTAssertEqual(timed.status, 0, timed.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(timed.jsonLines.last?["events"] as? Int, 0)
        XCTAssertEqual(try TraceFixture.attachedPrograms(cgroup), 0)
    }

    func testSigkillLeavesNothingAttached() throws {
        try requirePrivileges()
        let cgroup = try TraceFixture.makeCgroup("sigkill")
        defer { TraceFixture.removeCgroup(cgroup) }
        let tracer = try TraceFixture.startTrace(["trace", "--cgroup", cgroup])
        try TraceFixture.waitUntilAttached(cgroup, programs: 7)
        kill(tracer.processIdentifier, SIGKILL)
        tracer.waitUntilExit()
        _ = TraceFixture.collect(tracer)
        // Links die with their last descriptor; the kernel releases them shortly after.
        let deadline = Date().addingTimeInterval(5)
        while try TraceFixture.attachedPrograms(cgroup) > 0 && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try TraceFixture.attachedPrograms(cgroup), 0)
    }

    /// A `trace -- CMD` killed with SIGKILL leaves its empty transient cgroup behind; the next
    /// `trace -- CMD` removes it (and leaves the cgroups of live runs alone).
    func testTheNextRunRemovesAKilledRunsTransientCgroup() throws {
        try requirePrivileges()
        let root = TraceFixture.cgroupRoot
        var gone: pid_t = 4_000_000
        while kill(gone, 0) == 0 || errno != ESRCH { gone -= 1 }
        let stale = root + "/sockdiag-trace-\(gone)", live = root + "/sockdiag-trace-\(getpid())-x"
        let ours = root + "/sockdiag-trace-1"  // init is alive: not stale
        for path in [stale, live, ours] { XCTAssertEqual(mkdir(path, 0o755), 0, path) }
        defer { for path in [stale, live, ours] { rmdir(path) } }
        let result = try Sockdiag.run(["trace", "--", "/bin/true"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "a killed run's empty cgroup is removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live), "not a PREFIX-PID name: kept")
        XCTAssertTrue(FileManager.default.fileExists(atPath: ours), "a live process's cgroup is kept")
    }

    func testPrivateCgroupMountUnderIpNetnsExec() throws {
        try requirePrivileges()
        let namespace = "sockdiag-test-trace-ns-\(getpid())"
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["netns", "add", namespace]).status, 0)
        defer { _ = try? runProgram("/usr/sbin/ip", ["netns", "delete", namespace]) }
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["-n", namespace, "link", "set", "lo", "up"]).status, 0)
        let leftoverMounts = { try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("sockdiag-cgroup2-") } }
        let before = try leftoverMounts()
        let port = TraceFixture.port(4)
        let result = try runProgram("/usr/sbin/ip", ["netns", "exec", namespace, Sockdiag.executable.path,
                                                      "trace", "--json", "--", "python3", TraceFixture.clientScript(), String(port)])
        XCTAssertEqual(result.status, 1, result.stderr)
        let clientPid = try XCTUnwrap(TraceFixture.clientPid(result.stderr))
        TraceFixture.assertDualStackStory(result.jsonLines, pid: clientPid, port: port)
        XCTAssertEqual(try leftoverMounts(), before, "the private cgroup2 mount point was left in /tmp")
    }

    func testSigtermStopsTheCommandAndReportsIt() throws {
        try requirePrivileges()
        let before = try TraceFixture.snapshot()
        let tracer = try TraceFixture.startTrace(["trace", "--json", "--", "sleep", "30"])
        let cgroup = "\(TraceFixture.cgroupRoot)/sockdiag-trace-\(tracer.processIdentifier)"
        try TraceFixture.waitUntilAttached(cgroup, programs: 7)
        let result = try TraceFixture.stop(tracer, signal: SIGTERM)
        XCTAssertEqual(result.status, 0, result.stderr)
        let command = try XCTUnwrap(result.jsonLines.last?["command"] as? [String: Any], result.stdout)
        XCTAssertEqual(command["signal"] as? String, "SIGTERM")
        XCTAssertTrue(command["exit_status"] is NSNull)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cgroup), "the transient cgroup was left behind")
        XCTAssertEqual(try TraceFixture.snapshot(), before)
    }

    func testBackgroundChildrenOutliveTheTraceOutsideTheRemovedCgroup() throws {
        try requirePrivileges()
        let before = try TraceFixture.snapshot()
        let pidFile = NSTemporaryDirectory() + "sockdiag-trace-background-\(getpid())"
        // Python's Popen closes every inherited descriptor, so the child does not hold the test's pipes open.
        let script = "import subprocess; p = subprocess.Popen(['sleep', '30'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); open('\(pidFile)', 'w').write(str(p.pid))"
        let result = try Sockdiag.run(["trace", "--json", "--", "python3", "-c", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: pidFile)
        let child = try XCTUnwrap(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(child, SIGKILL) }
        XCTAssertEqual(kill(child, 0), 0, "the background child was killed")
        let membership = try String(contentsOfFile: "/proc/\(child)/cgroup", encoding: .utf8)
        XCTAssertFalse(membership.contains("sockdiag-trace-"), membership)
        XCTAssertEqual(try TraceFixture.snapshot(), before)
    }

    func testEveryConnectOfABurstIsReported() throws {
        try requirePrivileges()
        let port = TraceFixture.port(11)
        let connects = 3000
        let script = """
        import socket
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", \(port))); listener.listen(64)
        for i in range(\(connects)):
            family, address = [(socket.AF_INET6, "::ffff:127.0.0.1"), (socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")][i % 3]
            c = socket.socket(family, socket.SOCK_STREAM); c.connect((address, \(port)))
            a, _ = listener.accept(); a.close(); c.close()
        """
        let result = try Sockdiag.run(["trace", "--json", "--", "python3", "-c", script])
        XCTAssertEqual(result.status, 1, result.stderr)
        let summary = try XCTUnwrap(result.jsonLines.last)
        let hooks = try XCTUnwrap(summary["hooks"] as? [String: Any])
        XCTAssertEqual((hooks["connect4"] as? Int ?? 0) + (hooks["connect6"] as? Int ?? 0), connects)
        XCTAssertEqual(summary["lost"] as? Int, 0)
        XCTAssertEqual(summary["mapped_sockets"] as? Int, connects / 3)
        let connectLines = result.jsonLines.filter { $0["event"] as? String == "connect" }
        XCTAssertEqual(connectLines.count, connects)
        XCTAssertEqual(Set(connectLines.compactMap { $0["cookie"] as? Int }).count, connects, "one socket per connect")
    }

    /// docs/dual-stack.md §5: an AF_INET6 UDP socket connected to ::ffff:a.b.c.d runs sendmsg4 on
    /// every send() (udpv6_sendmsg hands the IPv4 path a filled-in address); connected AF_INET and
    /// native IPv6 sockets run no sendmsg hook.
    func testConnectedMappedUDPRunsSendmsg4OnEverySend() throws {
        try requirePrivileges()
        let port = TraceFixture.port(12)
        let script = """
        import socket
        sink4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); sink4.bind(("127.0.0.1", \(port)))
        sink6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); sink6.bind(("::1", \(port)))
        for family, address in [(socket.AF_INET6, "::ffff:127.0.0.1"), (socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]:
            s = socket.socket(family, socket.SOCK_DGRAM); s.connect((address, \(port)))
            for i in range(3): s.send(b"x")
        """
        let result = try Sockdiag.run(["trace", "--json", "--", "python3", "-c", script])
        XCTAssertEqual(result.status, 1, "a mapped peer is a dual-stack surprise: \(result.stderr)")
        let calls = result.jsonLines.filter { ["connect", "sendmsg"].contains($0["event"] as? String) }
        func hooks(_ address: String) -> [String] {
            calls.filter { $0["address"] as? String == address && $0["port"] as? Int == port }.compactMap { $0["hook"] as? String }
        }
        XCTAssertEqual(hooks("::ffff:127.0.0.1"), ["connect6", "sendmsg4", "sendmsg4", "sendmsg4"], "\(calls)")
        XCTAssertEqual(hooks("127.0.0.1"), ["connect4"], "\(calls)")
        XCTAssertEqual(hooks("::1"), ["connect6"], "\(calls)")
    }
}
