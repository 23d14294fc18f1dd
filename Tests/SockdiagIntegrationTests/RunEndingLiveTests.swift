import Foundation
import XCTest

/// How live runs end: a closed output, a deadline or count reached before the command is done, a
/// command that ignores SIGTERM, a traced cgroup removed under the run.
final class RunEndingLiveTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        try requirePrivileges()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-live-end-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { if let scratch { try? FileManager.default.removeItem(at: scratch) } }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// A Python command that writes its pid (and its background child's) to `pids`, then sends a UDP
    /// datagram to 127.0.0.1:port every 10 ms for a minute; with `ignoreTerm`, SIGTERM does nothing.
    func busyCommand(port: Int, ignoreTerm: Bool = false) -> [String] {
        let script = """
        import os, signal, socket, subprocess, time
        \(ignoreTerm ? "signal.signal(signal.SIGTERM, signal.SIG_IGN)" : "")
        child = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        open("\(path("pids"))", "w").write("%d %d" % (os.getpid(), child.pid))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(6000):
            s.sendto(b"x", ("127.0.0.1", \(port))); time.sleep(0.01)
        """
        return ["python3", "-c", script]
    }

    /// The command's pid and its background child's, once the command has written them.
    func pids() throws -> [Int32] {
        let text = try String(contentsOfFile: path("pids"), encoding: .utf8)
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    func assertGone(_ pids: [Int32], file: StaticString = #filePath, line: UInt = #line) {
        for pid in pids {
            var gone = false
            for _ in 0..<100 {
                // A zombie still answers kill(0): read its state instead.
                let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
                if state == nil || state == "Z" { gone = true; break }
                usleep(50_000)
            }
            if !gone { kill(pid, SIGKILL) }
            XCTAssertTrue(gone, "process \(pid) outlived the run", file: file, line: line)
        }
    }

    // MARK: 3. A closed output pipe

    func testAClosedOutputPipeEndsTheRunQuietlyAndStopsTheCommand() throws {
        let port = TraceFixture.port(13)
        let command = busyCommand(port: port).map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(separator: " ")
        let pipeline = "'\(Sockdiag.executable.path)' trace --json -- \(command) 2>'\(path("stderr"))' | head -1; echo \"status ${PIPESTATUS[0]}\""
        let result = try runProgram("/bin/bash", ["-c", pipeline], timeout: 60)
        XCTAssertTrue(result.stdout.hasPrefix("{"), "head got the first event: \(result.stdout)")
        let status = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(["status 0", "status 1"].contains(status), "a reader that went away is no error: \(status)")
        XCTAssertEqual(try String(contentsOfFile: path("stderr"), encoding: .utf8), "", "nothing to say on stderr")
        assertGone(try pids())
    }

    // MARK: 4. A command outliving the run

    func testDurationAndCountStopTheCommandAndEverythingItStarted() throws {
        let port = TraceFixture.port(14)
        // Long enough for python to start and write its pids on a loaded machine.
        let timed = try Sockdiag.run(["trace", "--duration", "4", "--"] + busyCommand(port: port), timeout: 60)
        XCTAssertTrue([0, 1].contains(timed.status), timed.stderr)
        let (commandPid, childPid) = try { let p = try pids(); return (p[0], p[1]) }()
        assertGone([commandPid, childPid])
        XCTAssertTrue(timed.stdout.contains("command:         python3 (pid \(commandPid)) stopped by sockdiag after --duration 4 (it was killed by SIGTERM)"),
                      timed.stdout)

        let counted = try Sockdiag.run(["trace", "--json", "--count", "3", "--"] + busyCommand(port: port), timeout: 60)
        let command = try XCTUnwrap(counted.jsonLines.last?["command"] as? [String: Any], counted.stdout)
        XCTAssertEqual(command["stopped_by"] as? String, "--count 3")
        XCTAssertEqual(command["signal"] as? String, "SIGTERM")
        assertGone(try pids())
    }

    func testACommandThatIgnoresSIGTERMIsKilledAfterTheGrace() throws {
        let port = TraceFixture.port(15)
        let started = Date()
        let result = try Sockdiag.run(["trace", "--json", "--duration", "4", "--"] + busyCommand(port: port, ignoreTerm: true), timeout: 60)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "TERM, two seconds, KILL")
        let command = try XCTUnwrap(result.jsonLines.last?["command"] as? [String: Any], result.stdout + result.stderr)
        XCTAssertEqual(command["signal"] as? String, "SIGKILL")
        XCTAssertEqual(command["stopped_by"] as? String, "--duration 4")
        assertGone(try pids())
    }

    func testCompareWireReportsHowTheCommandEndedWithoutAnErrorPrefix() throws {
        let done = try Sockdiag.run(["compare-wire", "-i", "lo", "--", "true"])
        XCTAssertEqual(done.status, 0, done.stderr)
        XCTAssertFalse(done.stderr.contains("sockdiag:"), "a command that exited is no error: \(done.stderr)")
        XCTAssertTrue(done.stdout.contains("command: true (pid "), done.stdout)
        XCTAssertTrue(done.stdout.contains(") exited with status 0"), done.stdout)

        let port = TraceFixture.port(16)
        let stopped = try Sockdiag.run(["compare-wire", "-i", "lo", "--json", "--duration", "4", "--"] + busyCommand(port: port), timeout: 60)
        let report = try XCTUnwrap(stopped.json as? [String: Any], stopped.stdout + stopped.stderr)
        let command = try XCTUnwrap(report["command"] as? [String: Any], "\(report.keys)")
        XCTAssertEqual(command["stopped_by"] as? String, "--duration 4")
        XCTAssertEqual(command["argv"] as? [String], busyCommand(port: port))
        assertGone(try pids())
        let offline = try Sockdiag.run(["compare-wire", "--json", "--pcap", "/dev/null", "--events", "/dev/null"])
        XCTAssertEqual(offline.status, 2, "refused, but the key is documented as null offline")
    }

    // MARK: 7. The traced cgroup removed under the run

    func testRemovingTheTracedCgroupEndsTheRunWithOneLine() throws {
        for subcommand in [["trace"], ["compare-wire", "-i", "lo"]] {
            let cgroup = try TraceFixture.makeCgroup("removed-\(subcommand[0])")
            defer { TraceFixture.removeCgroup(cgroup) }
            let process = try TraceFixture.startTrace(subcommand + ["--cgroup", cgroup])
            try TraceFixture.waitUntilAttached(cgroup, programs: 1)
            XCTAssertEqual(rmdir(cgroup), 0)
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGINT) }
            process.waitUntilExit()
            let result = TraceFixture.collect(process)
            XCTAssertEqual(result.status, 2, "\(subcommand): \(result.stderr)")
            XCTAssertEqual(result.stderr, "sockdiag: \(subcommand[0]): cgroup \(cgroup) was removed while it was traced; the run ends here\n")
            XCTAssertFalse(try runProgram("/usr/sbin/bpftool", ["cgroup", "tree"]).stdout.contains(cgroup))
        }
    }
}
