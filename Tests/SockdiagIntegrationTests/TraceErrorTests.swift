import Foundation
import XCTest

/// Every way `sockdiag trace` can be refused: one line on stderr, exit 2, nothing left behind.
final class TraceErrorTests: XCTestCase {
    func assertRefused(_ result: CommandResult, mentioning text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line expected:\n\(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("sockdiag: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(text), "'\(text)' not in: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stdout.isEmpty, "nothing on stdout: \(result.stdout)", file: file, line: line)
    }

    func testUsageErrors() throws {
        assertRefused(try Sockdiag.run(["trace"]), mentioning: "give --cgroup PATH, --pid PID, --unit NAME, --container ID or -- CMD")
        assertRefused(try Sockdiag.run(["trace", "--cgroup", "x", "--", "true"]), mentioning: "give one target, not --cgroup and -- CMD")
        assertRefused(try Sockdiag.run(["trace", "--cgroup", "x", "--duration", "soon"]), mentioning: "--duration")
        assertRefused(try Sockdiag.run(["trace", "--cgroup", "x", "--count", "0"]), mentioning: "--count")
    }

    func testNotRootSaysWhatIsNeeded() throws {
        try requirePrivileges("switching to an unprivileged user")
        let binary = Sockdiag.executable.path
        // The build directory may not be readable by nobody; run a copy from a neutral place.
        let copy = NSTemporaryDirectory() + "sockdiag-trace-unprivileged-\(getpid())"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: binary, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        chmod(copy, 0o755)
        let result = try runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                                          copy, "trace", "--", "true"])
        assertRefused(result, mentioning: "needs root")
        XCTAssertTrue(result.stderr.contains("CAP_BPF"), result.stderr)
    }

    func testMissingCgroupPath() throws {
        try requirePrivileges()
        let before = try TraceFixture.snapshot()
        assertRefused(try Sockdiag.run(["trace", "--cgroup", "sockdiag-test-trace-does-not-exist"]), mentioning: "no such cgroup")
        assertRefused(try Sockdiag.run(["trace", "--cgroup", "/nonexistent/sockdiag"]), mentioning: "no such cgroup: /nonexistent/sockdiag")
        XCTAssertEqual(try TraceFixture.snapshot(), before)
    }

    func testPathNotOnCgroupV2() throws {
        try requirePrivileges()
        assertRefused(try Sockdiag.run(["trace", "--cgroup", NSTemporaryDirectory()]), mentioning: "not on a cgroup v2 filesystem")
        let v1 = "/sys/fs/cgroup/cpu"
        if FileManager.default.fileExists(atPath: v1), !TraceFixture.cgroupRoot.hasPrefix(v1) {
            assertRefused(try Sockdiag.run(["trace", "--cgroup", v1]), mentioning: "not on a cgroup v2 filesystem")
        }
        assertRefused(try Sockdiag.run(["trace", "--cgroup", "/etc/hostname"]), mentioning: "not a cgroup directory")
    }

    func testCommandNotFoundCreatesNothing() throws {
        try requirePrivileges()
        let before = try TraceFixture.snapshot()
        assertRefused(try Sockdiag.run(["trace", "--", "sockdiag-no-such-command"]), mentioning: "command not found: sockdiag-no-such-command")
        assertRefused(try Sockdiag.run(["trace", "--", "/nonexistent/tool"]), mentioning: "command not found: /nonexistent/tool")
        XCTAssertEqual(try TraceFixture.snapshot(), before)
    }
}
