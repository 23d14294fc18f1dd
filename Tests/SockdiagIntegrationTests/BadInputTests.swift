import Foundation
import XCTest

/// The rule for bad input, subcommand by subcommand: one line on stderr starting `sockdiag: `,
/// exit status 2, nothing on stdout, no crash, and nothing left attached, created or mounted.
final class BadInputTests: XCTestCase {
    /// A command line that must be refused, and a word the refusal must contain.
    struct Refusal {
        let arguments: [String]
        let mentioning: String
        init(_ arguments: [String], _ mentioning: String) {
            self.arguments = arguments
            self.mentioning = mentioning
        }
    }

    func assertRefused(_ result: CommandResult, _ refusal: Refusal, file: StaticString = #filePath, line: UInt = #line) {
        let command = "sockdiag " + refusal.arguments.map { $0.isEmpty ? "''" : $0 }.joined(separator: " ")
        XCTAssertEqual(result.status, 2, "\(command): \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n", omittingEmptySubsequences: false).count, 2,
                       "\(command): one line expected:\n\(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("sockdiag: "), "\(command): \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(refusal.mentioning), "\(command): '\(refusal.mentioning)' not in: \(result.stderr)",
                      file: file, line: line)
        XCTAssertTrue(result.stdout.isEmpty, "\(command): nothing on stdout, got: \(result.stdout.prefix(200))", file: file, line: line)
    }

    func assertAllRefused(_ refusals: [Refusal], file: StaticString = #filePath, line: UInt = #line) throws {
        for refusal in refusals { assertRefused(try Sockdiag.run(refusal.arguments), refusal, file: file, line: line) }
    }

    // MARK: Command lines (no privileges needed: they fail before anything is opened)

    func testFrontDoor() throws {
        try assertAllRefused([
            Refusal([], "no subcommand given"),
            Refusal([""], "unknown subcommand ''"),
            Refusal(["trac"], "did you mean 'trace'?"),
            Refusal(["-x"], "unknown option '-x'"),
            Refusal(["--hepl"], "did you mean '--help'?"),
            Refusal(["--versoin"], "did you mean '--version'?"),
            Refusal(["--version", "extra"], "--version takes no arguments"),
            Refusal(["help", "nosuch"], "unknown subcommand 'nosuch'"),
            Refusal(["help", "bindcheck"], "did you mean 'bind-check'?"),
            Refusal(["help", "trace", "extra"], "help takes one subcommand"),
            Refusal(["help", "--mna"], "did you mean '--man'?"),
            Refusal(["completion"], "name the shell"),
            Refusal(["completion", "tcsh"], "no completion for 'tcsh'"),
            Refusal(["completion", "bash", "extra"], "unexpected extra argument 'extra'"),
            Refusal(["demo", "extra"], "'demo' takes no arguments"),
            Refusal(["demo", "--jsn"], "did you mean '--json'?"),
            Refusal(["demo", "-x"], "unknown option '-x'"),
        ])
    }

    func testBindCheckAddressesPortsAndOptions() throws {
        try assertAllRefused([
            Refusal(["bind-check", "1.2.3", "49000"], "'1.2.3' is not an IPv4 address"),
            Refusal(["bind-check", "::g", "49000"], "'::g' is not an IPv6 address"),
            Refusal(["bind-check", "[::1"], "no matching ']'"),
            Refusal(["bind-check", "1.2.3.4:"], "is not a port"),
            Refusal(["bind-check", "fe80::1%", "49000"], "zone"),
            Refusal(["bind-check", "::", "70000"], "65535"),
            Refusal(["bind-check", "::", "-1"], "'-1' is not a port"),
            Refusal(["bind-check", "::", "abc"], "'abc' is not a port"),
            Refusal(["bind-check", "::", ""], "is not a port: it is empty"),
            Refusal(["bind-check", "[::]:99999999999999999999"], "out of range"),
            Refusal(["bind-check", "::1"], "missing port"),
            Refusal(["bind-check", "[::1]"], "missing port after '[::1]'"),
            Refusal(["bind-check", "[::1]", "70000"], "65535"),
            Refusal(["bind-check"], "missing ADDRESS and PORT"),
            Refusal(["bind-check", "::", "49000", "49001"], "unexpected extra argument '49001'"),
            Refusal(["bind-check", "--jsn", "::", "49000"], "did you mean '--json'?"),
            Refusal(["bind-check", "-t", "-u", "::", "49000"], "exclude each other"),
            Refusal(["bind-check", "--all", "::"], "--all checks every port"),
            Refusal(["bind-check", "--netns", "a", "--netns", "b", "::", "49000"], "--netns was given twice"),
            Refusal(["bind-check", "::", "49000", "--netns"], "--netns needs a value"),
            Refusal(["bind-check", "--netns", "sockdiag-no-such-netns", "::", "49000"], "no network namespace named"),
            Refusal(["bind-check", "--netns", "/etc/hostname", "::", "49000"], "is not a network namespace"),
            Refusal(["bind-check", "--netns", "", "::", "49000"], "--netns needs a namespace name or path"),
        ])
    }

    func testTraceOptions() throws {
        var refusals = [
            Refusal(["trace"], "nothing to trace"),
            Refusal(["trace", "--"], "'--' must be followed by a command"),
            Refusal(["trace", "--cgroup", "x", "--", "true"], "give one target, not --cgroup and -- CMD"),
            Refusal(["trace", "--cgroup", "x", "--cgroup", "y"], "--cgroup was given twice"),
            Refusal(["trace", "--cgroup", ""], "--cgroup needs a path"),
            Refusal(["trace", "--duraton", "1", "--cgroup", "x"], "did you mean '--duration'?"),
            Refusal(["trace", "--cgroup", "x", "extra"], "'trace' takes no arguments"),
            Refusal(["trace", "--cgroup", "x", "-d"], "--duration needs a value"),
            Refusal(["trace", "--force", "--cgroup", "x"], "--force only matters"),
            Refusal(["trace", "--naive", "--cgroup", "x"], "--naive"),
        ]
        for duration in ["-1", "0", "abc", "1e400", "nan", ""] {
            refusals.append(Refusal(["trace", "--cgroup", "x", "--duration", duration], "--duration must be a positive number"))
        }
        for count in ["0", "-3", "abc", "1.5", "99999999999999999999999"] {
            refusals.append(Refusal(["trace", "--cgroup", "x", "--count", count], "--count must be a positive whole number"))
        }
        try assertAllRefused(refusals)
    }

    func testCompareWireOptions() throws {
        var refusals = [
            Refusal(["compare-wire"], "nothing to compare"),
            Refusal(["compare-wire", "--"], "'--' must be followed by a command"),
            Refusal(["compare-wire", "--pcap", "a.pcap"], "--pcap needs --events"),
            Refusal(["compare-wire", "--events", "a.jsonl"], "--events needs --pcap"),
            Refusal(["compare-wire", "-r", "a.pcap", "-e", "a.jsonl", "--duration", "1"], "--duration is for live mode"),
            Refusal(["compare-wire", "-r", "a.pcap", "-e", "a.jsonl", "--cgroup", "x"], "--cgroup is for live mode"),
            Refusal(["compare-wire", "-r", "a.pcap", "-e", "a.jsonl", "--", "true"], "'-- CMD' is for live mode"),
            Refusal(["compare-wire", "-r", "a.pcap", "-e", "a.jsonl", "extra"], "takes no arguments"),
            Refusal(["compare-wire", "--cgroup", "x", "--", "true"], "give one target, not --cgroup and -- CMD"),
            Refusal(["compare-wire", "-i", "lo", "-i", "eth0", "--", "true"], "--interface was given twice"),
            Refusal(["compare-wire", "--write-pcap", "x"], "did you mean '--write-pcapng'?"),
            Refusal(["compare-wire", "--pcap="], "--pcap needs a value"),
        ]
        for duration in ["-1", "0", "abc", "1e400", ""] {
            refusals.append(Refusal(["compare-wire", "--duration", duration, "--", "true"], "--duration needs a positive number"))
        }
        try assertAllRefused(refusals)
    }

    // MARK: Files given to compare-wire

    func testBadCaptureAndEventFiles() throws {
        let scratch = try WireScratch()
        let events = scratch.path("good.jsonl")
        try BadInputFiles.eventLine.write(toFile: events, atomically: true, encoding: .utf8)
        let pcap = scratch.path("good.pcap")
        try Data(BadInputFiles.pcapHeader + BadInputFiles.packetRecord(length: 54)).write(to: URL(fileURLWithPath: pcap))
        let files: [(String, Data)] = [
            ("empty", Data()),
            ("text", Data("hello\nthis is not a capture\n".utf8)),
            ("binary", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })),
            ("header-cut", Data(BadInputFiles.pcapHeader.prefix(20))),
            ("record-cut", Data(BadInputFiles.pcapHeader + BadInputFiles.packetRecord(length: 54).prefix(30))),
            ("huge-line", Data(String(repeating: "a", count: 200_000).utf8)),
        ]
        for (name, data) in files { try data.write(to: scratch.file(name)) }
        try FileManager.default.createDirectory(atPath: scratch.path("dir"), withIntermediateDirectories: false)
        try assertAllRefused([
            Refusal(["compare-wire", "-r", scratch.path("empty"), "-e", events], "cannot read as a capture file"),
            Refusal(["compare-wire", "-r", scratch.path("text"), "-e", events], "unknown file format"),
            Refusal(["compare-wire", "-r", scratch.path("binary"), "-e", events], "cannot read as a capture file"),
            Refusal(["compare-wire", "-r", scratch.path("header-cut"), "-e", events], "truncated"),
            Refusal(["compare-wire", "-r", events, "-e", events], "cannot read as a capture file"),
            Refusal(["compare-wire", "-r", scratch.path("dir"), "-e", events], "is a directory"),
            Refusal(["compare-wire", "-r", "/dev/null", "-e", events], "cannot read as a capture file"),
            Refusal(["compare-wire", "-r", scratch.path("nonexistent"), "-e", events], "No such file or directory"),
            Refusal(["compare-wire", "-r", pcap, "-e", scratch.path("text")], "is not a 'sockdiag trace --json' event log"),
            Refusal(["compare-wire", "-r", pcap, "-e", scratch.path("binary")], "is not a 'sockdiag trace --json' event log"),
            Refusal(["compare-wire", "-r", pcap, "-e", scratch.path("huge-line")], "is not a 'sockdiag trace --json' event log"),
            Refusal(["compare-wire", "-r", pcap, "-e", pcap], "is not a 'sockdiag trace --json' event log"),
            Refusal(["compare-wire", "-r", pcap, "-e", scratch.path("dir")], "is a directory"),
            Refusal(["compare-wire", "-r", pcap, "-e", scratch.path("nonexistent")], "No such file or directory"),
            Refusal(["compare-wire", "-r", pcap, "-e", events, "-w", scratch.path("nonexistent/x.pcapng")], "cannot write"),
            Refusal(["compare-wire", "-r", pcap, "-e", events, "-w", scratch.path("dir")], "cannot write"),
        ])
        // A file cut off within a packet is read up to the cut, as tcpdump -r does, and still fails.
        let cut = try Sockdiag.run(["compare-wire", "-r", scratch.path("record-cut"), "-e", events])
        XCTAssertEqual(cut.status, 2)
        XCTAssertTrue(cut.stdout.contains("0 packets, 0 skipped, the file ended early"), cut.stdout)
        XCTAssertTrue(cut.stderr.hasPrefix("sockdiag: compare-wire: \(scratch.path("record-cut")) ended early (truncated"), cut.stderr)
        // The good pair is accepted, so the refusals above are about the broken file alone.
        XCTAssertNotEqual(try Sockdiag.run(["compare-wire", "-r", pcap, "-e", events]).status, 2)
    }

    // MARK: Paths, commands and namespaces (root, so the checks past the privilege test run)

    func testCgroupPathsAndCommandsLeaveNothingBehind() throws {
        try requirePrivileges()
        var refusals: [Refusal] = []
        for subcommand in ["trace", "compare-wire"] {
            refusals += [
                Refusal([subcommand, "--cgroup", "/nonexistent/sockdiag"], "no such cgroup: /nonexistent/sockdiag"),
                Refusal([subcommand, "--cgroup", "sockdiag-test-no-such-cgroup"], "no such cgroup"),
                Refusal([subcommand, "--cgroup", NSTemporaryDirectory()], "not on a cgroup v2 filesystem"),
                Refusal([subcommand, "--cgroup", "/etc/hostname"], "not a cgroup directory"),
                Refusal([subcommand, "--", "sockdiag-no-such-command"], "command not found: sockdiag-no-such-command"),
                Refusal([subcommand, "--", "/nonexistent/tool"], "command not found: /nonexistent/tool"),
                Refusal([subcommand, "--", NSTemporaryDirectory()], "command is a directory"),
                Refusal([subcommand, "--", ""], "the command after '--' is an empty string"),
            ]
            let v1 = "/sys/fs/cgroup/cpu"
            if FileManager.default.fileExists(atPath: v1), !TraceFixture.cgroupRoot.hasPrefix(v1) {
                refusals.append(Refusal([subcommand, "--cgroup", v1], "not on a cgroup v2 filesystem"))
            }
        }
        refusals += [
            Refusal(["trace", "--redirect", "49000=127.0.0.1:49001", "--cgroup", TraceFixture.cgroupRoot], "refusing to enforce"),
            Refusal(["compare-wire", "--interface", "sockdiag-noif", "--", "true"], "capture on sockdiag-noif"),
        ]
        try assertAllRefused(refusals)
        XCTAssertEqual(try BadInputFiles.leftovers(), [])
    }

    func testUnprivilegedUserIsToldWhatIsNeeded() throws {
        try requirePrivileges("switching to an unprivileged user")
        let copy = NSTemporaryDirectory() + "sockdiag-bad-input-\(getpid())"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: Sockdiag.executable.path, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        chmod(copy, 0o755)
        let refusals = [
            Refusal(["demo"], "needs root"),
            Refusal(["demo", "--json"], "needs root"),
            Refusal(["trace", "--", "true"], "needs root"),
            Refusal(["trace", "--cgroup", TraceFixture.cgroupRoot], "needs root"),
            Refusal(["compare-wire", "--", "true"], "needs root"),
            Refusal(["compare-wire", "--cgroup", "x"], "needs root"),
            Refusal(["bind-check", "--netns", "/proc/1/ns/net", "::", "49000"], "/proc/1/ns/net"),
        ]
        for refusal in refusals {
            let result = try runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", copy]
                                        + refusal.arguments)
            assertRefused(result, refusal)
        }
    }

    // MARK: Output that cannot be written, runs that are stopped

    func testFullDiskIsAnErrorAndAClosedPipeIsNot() throws {
        for arguments in [["--help"], ["completion", "bash"], ["help", "--man"], ["bind-check", "::", "49002"]] {
            let full = try BadInputFiles.run(arguments, stdout: FileHandle(forWritingAtPath: "/dev/full")!)
            assertRefused(full, Refusal(arguments, "cannot write to standard output: No space left on device"))
            let pipe = Pipe()
            try pipe.fileHandleForReading.close()
            let closed = try BadInputFiles.run(arguments, stdout: pipe.fileHandleForWriting)
            XCTAssertTrue([0, 1].contains(closed.status), "\(arguments): \(closed.status) \(closed.stderr)")
            XCTAssertEqual(closed.stderr, "", "\(arguments)")
        }
    }

    func testSignalsLeaveNothingAttachedOrCreated() throws {
        try requirePrivileges()
        let cgroup = try TraceFixture.makeCgroup("bad-input")
        defer { TraceFixture.removeCgroup(cgroup) }
        for (arguments, programs) in [(["trace", "--cgroup", cgroup], 1), (["compare-wire", "-i", "lo", "--cgroup", cgroup], 1)] {
            for signal in [SIGINT, SIGTERM, SIGHUP] {
                let process = try BadInputFiles.start(arguments)
                try TraceFixture.waitUntilAttached(cgroup, programs: programs)
                kill(process.processIdentifier, signal)
                process.waitUntilExit()
                XCTAssertEqual(process.terminationReason, .exit, "\(arguments) died of signal \(signal)")
                XCTAssertEqual(process.terminationStatus, 0, "\(arguments) after signal \(signal)")
                XCTAssertEqual(try TraceFixture.attachedPrograms(cgroup), 0, "\(arguments) left programs after signal \(signal)")
            }
        }
        for arguments in [["trace", "--", "sleep", "30"], ["compare-wire", "-i", "lo", "--", "sleep", "30"]] {
            let process = try BadInputFiles.start(arguments)
            let transient = TraceFixture.cgroupRoot + "/sockdiag-\(arguments[0] == "trace" ? "trace" : "wire")-\(process.processIdentifier)"
            let deadline = Date().addingTimeInterval(20)
            while (try? TraceFixture.attachedPrograms(transient)) ?? 0 == 0 && Date() < deadline { usleep(20_000) }
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "\(arguments)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: transient), "\(transient) left behind")
        }
        XCTAssertEqual(try BadInputFiles.leftovers(), [])
    }

    func testDemoStopsOnCtrlC() throws {
        try requirePrivileges()
        let process = Process()
        process.executableURL = Sockdiag.executable
        process.arguments = ["demo"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Story 1 is under way while its transient cgroup exists.
        let transient = TraceFixture.cgroupRoot + "/sockdiag-wire-\(process.processIdentifier)"
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: transient) && process.isRunning && Date() < deadline { usleep(2_000) }
        XCTAssertTrue(process.isRunning, "the demo ended before story 1 could be interrupted")
        kill(process.processIdentifier, SIGINT)
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        assertRefused(CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: stderr),
                      Refusal(["demo"], "demo: stopped by SIGINT"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: transient), "\(transient) left behind")
        XCTAssertEqual(try BadInputFiles.leftovers(), [])
    }
}

enum BadInputFiles {
    /// One `connect` line as `sockdiag trace --json` writes it.
    static let eventLine = #"{"event":"connect","hook":"connect4","time_ns":1795444863753452005,"pid":1675,"tid":1675,"comm":"curl","uid":0,"cgroup_id":10931,"cookie":6951711,"socket_family":"inet","protocol":"tcp","address":"127.0.0.1","port":49010,"class":"ipv4","scope":"loopback","hook_address":"127.0.0.1","lesson":null}"# + "\n"

    /// A little-endian pcap file header: version 2.4, snap length 65535, Ethernet.
    static let pcapHeader: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 1, 0, 0, 0]

    /// A record header and `length` bytes of an Ethernet frame carrying IPv4 TCP 127.0.0.1:49003 -> :49004.
    static func packetRecord(length: Int) -> [UInt8] {
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> ($0 * 8)) & 0xFF) } }
        var frame: [UInt8] = Array(repeating: 0, count: 12) + [0x08, 0x00]
        frame += [0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
        frame += [0xBF, 0x6B, 0xBF, 0x6C] + Array(repeating: 0, count: 8) + [0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
        frame = Array((frame + Array(repeating: 0, count: max(0, length - frame.count))).prefix(length))
        return le32(1) + le32(0) + le32(length) + le32(length) + frame
    }

    /// Transient cgroups of runs that have ended, and private cgroup2 mounts: what a run must not leave.
    static func leftovers() throws -> [String] {
        let directories = try FileManager.default.contentsOfDirectory(atPath: TraceFixture.cgroupRoot).filter { name in
            guard name.hasPrefix("sockdiag-trace-") || name.hasPrefix("sockdiag-wire-"),
                  let pid = Int32(name.split(separator: "-").last ?? "") else { return false }
            return kill(pid, 0) != 0  // a run still going (another suite's) owns its cgroup
        }
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("sockdiag-cgroup2-") }.map(String.init)
        return directories + mounts
    }

    /// Starts sockdiag with its output discarded, for a test that stops it.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Sockdiag.executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs sockdiag with stdout on the given handle, stderr captured.
    static func run(_ arguments: [String], stdout: FileHandle) throws -> CommandResult {
        let process = Process()
        process.executableURL = Sockdiag.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
        let errors = Pipe()
        process.standardOutput = stdout
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try stdout.close()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "\(arguments) died of a signal")
        return CommandResult(status: process.terminationStatus, stdout: "", stderr: String(decoding: stderr, as: UTF8.self))
    }
}
