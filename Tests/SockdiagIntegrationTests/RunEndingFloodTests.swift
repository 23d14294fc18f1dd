import Foundation
import XCTest

/// A traced cgroup that writes events as fast as sockdiag reads them (two unconnected UDP senders
/// in a busy loop: a sendmsg event per datagram) must not keep a run from ending: --duration,
/// --count and SIGTERM are honoured while the ring still has records.
final class RunEndingFloodTests: XCTestCase {
    var cgroup: String?

    override func setUpWithError() throws {
        try requirePrivileges()
    }

    override func tearDown() {
        if let cgroup {
            // cgroup.kill takes every process in the cgroup at once, as systemd stops a unit.
            try? "1".write(toFile: "\(cgroup)/cgroup.kill", atomically: false, encoding: .utf8)
            TraceFixture.removeCgroup(cgroup)
        }
    }

    /// A cgroup holding two senders that never pause; returns its path.
    func floodedCgroup(_ name: String, port: Int) throws -> String {
        let path = try TraceFixture.makeCgroup("flood-\(name)")
        cgroup = path
        let script = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        while True:
            s.sendto(b"x", ("127.0.0.1", \(port)))
        """
        for _ in 0..<2 {
            let shell = "echo $$ > '\(path)/cgroup.procs' && exec python3 -c '\(script)'"
            let sender = Process()
            sender.executableURL = URL(fileURLWithPath: "/bin/sh")
            sender.arguments = ["-c", shell]
            sender.standardOutput = FileHandle.nullDevice
            sender.standardError = FileHandle.nullDevice
            try sender.run()
        }
        let deadline = Date().addingTimeInterval(20)
        while try String(contentsOfFile: "\(path)/cgroup.procs", encoding: .utf8).split(separator: "\n").count < 2 {
            guard Date() < deadline else { throw TraceFixtureError("the senders did not start within 20 s") }
            usleep(20_000)
        }
        return path
    }

    /// Runs sockdiag through a shell with its output thrown away, killed with SIGKILL after `limit`
    /// seconds if it has not ended by then; `afterStart` runs in the shell once it has started.
    func runBounded(_ arguments: [String], limit: Int, afterStart: String = "") throws -> (status: Int32, seconds: Double, stderr: String) {
        let quoted = arguments.map { "'\($0)'" }.joined(separator: " ")
        let script = """
        timeout -s KILL \(limit) '\(Sockdiag.executable.path)' \(quoted) >/dev/null 2>"$1" &
        runner=$!
        \(afterStart)
        wait $runner
        """
        let stderrPath = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-flood-\(UUID().uuidString).err").path
        defer { try? FileManager.default.removeItem(atPath: stderrPath) }
        let started = Date()
        let result = try runProgram("/bin/bash", ["-c", script, "bash", stderrPath], timeout: TimeInterval(limit + 30))
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return (result.status, Date().timeIntervalSince(started), stderr)
    }

    func testDurationEndsARunWhoseRingNeverEmpties() throws {
        let path = try floodedCgroup("duration", port: TraceFixture.port(16))
        for output in [["--json"], []] {
            let run = try runBounded(["trace", "--cgroup", path, "--duration", "2"] + output, limit: 40)
            XCTAssertEqual(run.status, 0, "\(output): killed after 40 s (137) means it never ended: \(run.stderr)")
            XCTAssertLessThan(run.seconds, 20, "\(output): --duration 2 took \(run.seconds) s")
            XCTAssertEqual(try TraceFixture.attachedPrograms(path), 0, "nothing stays attached")
        }
    }

    func testSIGTERMEndsARunWhoseRingNeverEmpties() throws {
        let path = try floodedCgroup("term", port: TraceFixture.port(17))
        let run = try runBounded(["trace", "--cgroup", path, "--json"], limit: 40,
                                 afterStart: "sleep 3; pkill -TERM -P $runner")
        XCTAssertNotEqual(run.status, 137, "SIGTERM did not end the run; SIGKILL after 40 s did: \(run.stderr)")
        XCTAssertLessThan(run.seconds, 20, "the run took \(run.seconds) s to end after SIGTERM")
        XCTAssertEqual(try TraceFixture.attachedPrograms(path), 0, "nothing stays attached")
    }

    /// The other side of the bound: a command that writes a burst and exits leaves the reader
    /// behind, and the run's last reading takes every record written before the stop, however
    /// many polls that is (one poll hands on 16,384).
    func testEveryRecordOfABurstIsReadAfterTheCommandExits() throws {
        let port = TraceFixture.port(19)
        let sends = 100_000
        let script = """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(\(sends)):
            s.sendto(b"x", ("127.0.0.1", \(port)))
        """
        let pipeline = "'\(Sockdiag.executable.path)' trace --json -- python3 -c '\(script)' 2>/dev/null | grep -c '\"hook\":\"sendmsg4\",.*\"port\":\(port),'"
        let result = try runProgram("/bin/bash", ["-c", pipeline], timeout: 120)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), String(sends),
                       "every datagram's sendmsg4 event is reported")
    }

    func testCountEndsARunWhoseRingNeverEmpties() throws {
        let path = try floodedCgroup("count", port: TraceFixture.port(18))
        let run = try runBounded(["trace", "--cgroup", path, "--json", "--count", "1000"], limit: 40)
        XCTAssertEqual(run.status, 0, "killed after 40 s (137) means it never ended: \(run.stderr)")
        XCTAssertLessThan(run.seconds, 20)
    }
}
