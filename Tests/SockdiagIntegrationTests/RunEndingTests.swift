import Foundation
import XCTest

/// Every way a run can end: inputs that never end, names chosen by hostile processes, messages
/// that must say what is wrong, and what a killed run leaves for the next one to clear.
final class RunEndingTests: XCTestCase {
    /// A scratch directory of this test, removed afterwards.
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-ending-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// A capture of one packet and a log of one connect: a valid offline pair.
    func offlinePair() throws -> (pcap: String, events: String) {
        let pcap = path("one.pcap"), events = path("one.jsonl")
        try Data(BadInputFiles.pcapHeader + BadInputFiles.packetRecord(length: 54)).write(to: URL(fileURLWithPath: pcap))
        try BadInputFiles.eventLine.write(toFile: events, atomically: true, encoding: .utf8)
        return (pcap, events)
    }

    func assertOneLine(_ result: CommandResult, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("sockdiag: ") && result.stderr.hasSuffix("\n")
                      && result.stderr.filter { $0 == "\n" }.count == 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(expected), "\(result.stderr) lacks \(expected)", file: file, line: line)
    }

    // MARK: 1. Inputs that never end

    func testInputsThatNeverEndOrNeverDeliverEndWithOneLine() throws {
        let (pcap, _) = try offlinePair()
        for endless in ["/dev/zero", "/dev/urandom"] {
            let started = Date()
            let result = try Sockdiag.run(["compare-wire", "--pcap", pcap, "--events", endless], timeout: 30)
            assertOneLine(result, "\(endless) is not a 'sockdiag trace --json' event log")
            XCTAssertLessThan(Date().timeIntervalSince(started), 20, endless)
        }
        let fifo = path("nobody-writes")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for arguments in [["--pcap", pcap, "--events", fifo], ["--pcap", fifo, "--events", "/dev/null"]] {
            let started = Date()
            let result = try Sockdiag.run(["compare-wire"] + arguments, timeout: 30)
            assertOneLine(result, "\(fifo) is a FIFO that nothing opened for writing within 5 s")
            XCTAssertLessThan(Date().timeIntervalSince(started), 20, "\(arguments)")
        }
    }

    // MARK: 8. Messages, and '-' for standard input

    func testDashReadsStandardInputLikeANamedFile() throws {
        let (pcap, events) = try offlinePair()
        let named = try Sockdiag.run(["compare-wire", "--json", "--pcap", pcap, "--events", events])
        XCTAssertTrue([0, 1].contains(named.status), named.stderr)
        let namedFlows = (named.json as? [String: Any])?["flows"] as? [Any]
        XCTAssertEqual(namedFlows?.count, 2, "one kernel-only and one wire-only flow: \(named.stdout)")
        for (arguments, input) in [(["--pcap", pcap, "--events", "-"], events), (["--pcap", "-", "--events", events], pcap)] {
            let redirected = try runWithStandardInput(["compare-wire", "--json"] + arguments, input: input)
            // A pipe, as `tcpdump -w - | sockdiag compare-wire --pcap -` gives it: no size, no seeking.
            let piped = try runProgram("/bin/sh", ["-c", "f=$1; shift; cat \"$f\" | \"$0\" compare-wire --json \"$@\"", Sockdiag.executable.path, input] + arguments)
            // A writer that pauses in the middle of a record (tcpdump -U still writing): reads
            // wait for the rest instead of taking the short read for the end.
            let paused = try runProgram("/bin/sh", ["-c", "f=$1; shift; (head -c 50 \"$f\"; sleep 0.5; tail -c +51 \"$f\") | \"$0\" compare-wire --json \"$@\"",
                                                    Sockdiag.executable.path, input] + arguments)
            for result in [redirected, piped, paused] {
                XCTAssertEqual(result.status, named.status, "\(arguments): \(result.stderr)")
                XCTAssertEqual((result.json as? [String: Any])?["flows"] as? [AnyHashable], namedFlows as? [AnyHashable], "\(arguments): \(result.stdout)")
                let capture = (result.json as? [String: Any])?["capture"] as? [String: Any]
                XCTAssertEqual(capture?["file"] as? String, arguments[1] == "-" ? "standard input" : pcap, "\(arguments)")
                XCTAssertEqual(capture?["packets"] as? Int, 1, "\(arguments): \(String(describing: capture))")
            }
        }
        assertOneLine(try Sockdiag.run(["compare-wire", "--pcap", "-", "--events", "-"]), "cannot both read standard input")
    }

    func testMessagesSayWhatIsWrong() throws {
        assertOneLine(try Sockdiag.run(["compare-wire", "-i", "lo", "-w", "", "--", "true"]), "--write-pcapng needs a file name")
        assertOneLine(try Sockdiag.run(["compare-wire", "-i", "", "--", "true"]), "--interface needs an interface name")
        assertOneLine(try Sockdiag.run(["compare-wire", "--pcap", "", "--events", "/dev/null"]), "capture file: the path is empty")
        try requirePrivileges("running bind-check as another user")
        let asNobody = try runProgram("/usr/bin/setpriv", BindCheckUIDTests.asNobody.dropFirst()
                                      + [Sockdiag.executable.path, "bind-check", "--netns", "/proc/1/ns/net", "::", "49002"])
        assertOneLine(asNobody, "entering network namespace /proc/1/ns/net needs root")
    }

    func testAllNetnsLabelsTheInitialNamespaceTheSameEveryRun() throws {
        try requirePrivileges()
        func initialLabel() throws -> String {
            let result = try Sockdiag.run(["bind-check", "--all", "--all-netns"])
            XCTAssertTrue([0, 1].contains(result.status), result.stderr)
            var info = stat()
            XCTAssertEqual(stat("/proc/self/ns/net", &info), 0)
            return try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.contains("net:[\(info.st_ino)]") }.map(String.init),
                                 result.stdout)
        }
        let first = try initialLabel(), second = try initialLabel()
        XCTAssertEqual(first, second, "a label that changes from run to run")
    }

    func testAScriptWithoutAShebangRunsWithTheShell() throws {
        try requirePrivileges()
        let script = path("no-shebang")
        try "echo ran by the shell >&2\nexit 3\n".write(toFile: script, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(script, 0o755), 0)
        let result = try Sockdiag.run(["trace", "--json", "--", script])
        XCTAssertTrue(result.stderr.contains("ran by the shell"), result.stderr)
        let command = result.jsonLines.last?["command"] as? [String: Any]
        XCTAssertEqual(command?["exit_status"] as? Int, 3, result.stdout)
    }

    // MARK: 11. Help that says what the code does

    func testDemoAndCompletionHelpSayWhatTheirExitStatusesMean() throws {
        for (subcommand, meaning) in [("demo", "0 both stories ran"), ("completion", "0 the script was printed")] {
            let help = try Sockdiag.run([subcommand, "--help"])
            XCTAssertEqual(help.status, 0)
            XCTAssertTrue(help.stdout.contains(meaning), help.stdout)
            XCTAssertFalse(help.stdout.contains("dual-stack problem was found"), "\(subcommand) never exits 1: \(help.stdout)")
        }
        XCTAssertTrue(try Sockdiag.run(["trace", "--help"]).stdout.contains("1 a dual-stack problem was found"))
    }

    // MARK: 6. Names that carry terminal escapes

    /// A Python process renamed with prctl(PR_SET_NAME) to ESC[31mRED followed by a newline.
    static let hostileName = #"import ctypes; ctypes.CDLL(None).prctl(15, b"\x1b[31mRED\n", 0, 0, 0)"#

    func testProcessNamesCannotBreakRowsOrInjectEscapes() throws {
        try requirePrivileges()
        let port = TraceFixture.port(7)
        // trace: the renamed process connects a UDP socket.
        let client = "\(Self.hostileName); import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('127.0.0.1', \(port))); s.send(b'x')"
        let traced = try Sockdiag.run(["trace", "--", "python3", "-c", client])
        XCTAssertFalse(traced.stdout.contains("\u{1B}"), traced.stdout)
        XCTAssertTrue(traced.stdout.split(separator: "\n").contains { $0.contains("?[31mRED?") && $0.contains("connect4") }, traced.stdout)
        let json = try Sockdiag.run(["trace", "--json", "--", "python3", "-c", client])
        XCTAssertTrue(json.jsonLines.contains { $0["comm"] as? String == "\u{1B}[31mRED\n" }, "JSON keeps the name as it is: \(json.stdout)")

        // bind-check: the renamed process holds the port.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = ["-c", "\(Self.hostileName); import socket, sys; s = socket.socket(); s.bind(('127.0.0.1', \(port))); s.listen(); print('ready', flush=True); sys.stdin.read()"]
        let ready = Pipe(), stdin = Pipe()
        holder.standardOutput = ready
        holder.standardInput = stdin
        try holder.run()
        defer { try? stdin.fileHandleForWriting.close(); holder.waitUntilExit() }
        _ = ready.fileHandleForReading.availableData
        let checked = try Sockdiag.run(["bind-check", "127.0.0.1", String(port)])
        XCTAssertFalse(checked.stdout.contains("\u{1B}"), checked.stdout)
        XCTAssertTrue(checked.stdout.contains("?[31mRED? (pid \(holder.processIdentifier))"), checked.stdout)

        // compare-wire: a log naming a process with a C1 control (CSI, U+009B) and a DEL.
        let (pcap, _) = try offlinePair()
        let events = path("hostile.jsonl")
        try BadInputFiles.eventLine.replacingOccurrences(of: #""comm":"curl""#, with: #""comm":"\u009b31mX\u007f""#)
            .write(toFile: events, atomically: true, encoding: .utf8)
        let compared = try Sockdiag.run(["compare-wire", "--pcap", pcap, "--events", events])
        XCTAssertFalse(compared.stdout.unicodeScalars.contains { $0.value == 0x9B || $0.value == 0x7F }, compared.stdout)
        XCTAssertTrue(compared.stdout.contains("1675/?31mX?"), compared.stdout)
    }

    // MARK: 9. Captures cut off in a packet

    func testACaptureCutOffInAPacketIsReportedUpToTheCut() throws {
        try requirePrivileges("tcpdump on lo")
        let port = TraceFixture.port(8)
        let capture = path("cut.pcap")
        let tcpdump = try WireTcpdump(interface: "lo", filter: "udp port \(port)", output: capture)
        let sender = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(5): s.sendto(b'x' * 100, ('127.0.0.1', \(port)))"
        XCTAssertEqual(try runProgram("/usr/bin/python3", ["-c", sender]).status, 0)
        tcpdump.stop()
        // As a killed tcpdump leaves it: the last packet only half written.
        let whole = try Data(contentsOf: URL(fileURLWithPath: capture))
        try whole.prefix(whole.count - 60).write(to: URL(fileURLWithPath: capture))
        let events = path("empty-trace.jsonl")
        try #"{"event":"summary","events":0}"#.appending("\n").write(toFile: events, atomically: true, encoding: .utf8)

        let json = try Sockdiag.run(["compare-wire", "--json", "--pcap", capture, "--events", events])
        XCTAssertEqual(json.status, 2, json.stderr)
        let report = try XCTUnwrap(json.json as? [String: Any], "the report of what was read: \(json.stdout) \(json.stderr)")
        let summary = try XCTUnwrap(report["capture"] as? [String: Any])
        XCTAssertEqual(summary["packets"] as? Int, 4, "the packets before the cut")
        XCTAssertTrue((summary["ended_early"] as? String)?.contains("truncated") ?? false, "\(summary)")
        XCTAssertEqual(json.stderr, "sockdiag: compare-wire: \(capture) ended early (\(summary["ended_early"] as? String ?? "")); the report covers the 4 packets before the cut\n")

        let text = try Sockdiag.run(["compare-wire", "--pcap", capture, "--events", events])
        XCTAssertEqual(text.status, 2)
        XCTAssertTrue(text.stdout.contains("capture: \(capture) (EN10MB): 4 packets, 0 skipped, the file ended early"), text.stdout)
        XCTAssertTrue(text.stderr.hasPrefix("sockdiag: compare-wire: \(capture) ended early"), text.stderr)

        // A corrupt file is still an error with no report.
        var corrupt = whole
        corrupt.replaceSubrange(32..<36, with: [0xFF, 0xFF, 0xFF, 0x7F])  // the first record's captured length
        try corrupt.write(to: URL(fileURLWithPath: capture))
        assertOneLine(try Sockdiag.run(["compare-wire", "--pcap", capture, "--events", events]), capture)
    }

    // MARK: 10. getaddrinfo's address-selection probes

    func testGetaddrinfoProbesAreLabelledApartFromDiscrepancies() throws {
        try requirePrivileges()
        // A name with an IPv4 and an IPv6 address, from a private /etc/hosts in a mount namespace.
        let hosts = path("hosts")
        try "127.0.0.1 sdprobe\n::1 sdprobe\n".write(toFile: hosts, atomically: true, encoding: .utf8)
        let port = TraceFixture.port(9)
        let client = "import socket; socket.getaddrinfo('sdprobe', \(port), type=socket.SOCK_STREAM); "
            + "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.connect(('127.0.0.1', \(port))); u.send(b'x')"
        func run(_ json: Bool) throws -> CommandResult {
            try runProgram("/usr/bin/unshare", ["-m", "sh", "-c", #"mount --bind "$0" /etc/hosts && exec "$@""#, hosts,
                                                Sockdiag.executable.path, "compare-wire", "-i", "lo"] + (json ? ["--json"] : [])
                                               + ["--", "python3", "-c", client])
        }
        let result = try run(true)
        XCTAssertEqual(result.status, 0, "probes are no discrepancy: \(result.stderr)")
        let report = try XCTUnwrap(result.json as? [String: Any], result.stdout + result.stderr)
        let flows = wireFlows(report, port: port)
        let probes = flows.filter { $0["verdict"] as? String == "address-probe" }
        XCTAssertEqual(Set(probes.compactMap { ($0["kernel"] as? [String: Any])?["hook"] as? String }), ["connect4", "connect6"], "\(flows)")
        XCTAssertTrue(probes.allSatisfy { ($0["kernel"] as? [String: Any])?["protocol"] as? String == "udp" && $0["wire"] is NSNull })
        XCTAssertEqual(flows.filter { $0["verdict"] as? String == "kernel-only" }.count, 0, "\(flows)")
        XCTAssertEqual(flows.filter { $0["verdict"] as? String == "same" }.count, 1, "the UDP socket that sent: \(flows)")
        let summary = try XCTUnwrap(report["summary"] as? [String: Any])
        XCTAssertEqual(summary["address_probe"] as? Int, 2)
        XCTAssertEqual(summary["kernel_only"] as? Int, 0)
        let text = try run(false)
        XCTAssertTrue(text.stdout.contains("0 kernel-only") && text.stdout.contains("2 address-probe"), text.stdout)
    }

    // MARK: 2. Outputs are opened before anything starts, and a late failure keeps the report

    func testAnOutputThatCannotBeWrittenStopsTheRunBeforeItStarts() throws {
        try requirePrivileges()
        let mark = path("command-ran")
        let refused = try Sockdiag.run(["compare-wire", "-i", "lo", "-w", "/nonexistent/x.pcapng", "--", "touch", mark])
        assertOneLine(refused, "cannot write --write-pcapng /nonexistent/x.pcapng: No such file or directory")
        XCTAssertFalse(FileManager.default.fileExists(atPath: mark), "the command ran although its output could not be written")
        assertOneLine(try Sockdiag.run(["compare-wire", "-i", "lo", "-w", scratch.path, "--", "touch", mark]), "Is a directory")
        XCTAssertFalse(FileManager.default.fileExists(atPath: mark))

        // /dev/full opens, and fails at the first write: the report is still printed, then the failure named.
        let port = TraceFixture.port(10)
        let sender = "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', \(port)))"
        let live = try Sockdiag.run(["compare-wire", "-i", "lo", "-w", "/dev/full", "--", "python3", "-c", sender])
        XCTAssertEqual(live.status, 2, live.stderr)
        XCTAssertTrue(live.stdout.contains(" same,") && live.stdout.contains(":\(port)"), live.stdout)
        XCTAssertEqual(live.stderr, "sockdiag: compare-wire: cannot write --write-pcapng /dev/full: No space left on device; the report above is complete\n")
        let (pcap, events) = try offlinePair()
        let offline = try Sockdiag.run(["compare-wire", "--json", "--pcap", pcap, "--events", events, "-w", "/dev/full"])
        XCTAssertEqual(offline.status, 2, offline.stderr)
        XCTAssertNotNil(offline.json, offline.stdout)
        XCTAssertTrue(offline.stderr.hasSuffix("No space left on device; the report above is complete\n"), offline.stderr)
    }

    // MARK: 5. What a SIGKILL leaves, the next run removes

    func testTheNextRunRemovesWhatAKilledRunLeftInTMPDIR() throws {
        try requirePrivileges()
        let tmp = path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: false)
        let environment = ["TMPDIR": tmp]
        func entries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? []).sorted() }

        // A live run with -w keeps its capture copy in TMPDIR; SIGKILL leaves it there.
        let killed = try startSockdiag(["compare-wire", "-i", "lo", "-w", path("out.pcapng"), "--", "sleep", "30"], environment: environment)
        let deadline = Date().addingTimeInterval(20)
        while !entries().contains(where: { $0.hasPrefix("sockdiag-wire-") && $0.hasSuffix(".pcap") }) && Date() < deadline { usleep(20_000) }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        killCommandsLeftIn(TraceFixture.cgroupRoot + "/sockdiag-wire-\(killed.processIdentifier)")
        let left = entries()
        XCTAssertEqual(left.count, 1, "the killed run's capture copy: \(left)")

        // One an older run left, and one a live run holds: only the first is stale.
        let stale = tmp + "/sockdiag-wire-OLD123.pcap", held = tmp + "/sockdiag-wire-HELD12.pcap"
        for file in [stale, held] { XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data([1]))) }
        let holder = open(held, O_RDONLY)
        defer { close(holder) }
        XCTAssertEqual(flock(holder, LOCK_EX), 0)

        let next = try Sockdiag.run(["compare-wire", "-i", "lo", "--", "true"], environment: environment)
        XCTAssertTrue([0, 1].contains(next.status), next.stderr)
        XCTAssertEqual(entries(), ["sockdiag-wire-HELD12.pcap"], "the next run sweeps what dead runs left, and nothing a live run holds")
        unlink(held)

        // Under `ip netns exec` no cgroup2 mount is visible: the private mount point is in TMPDIR.
        let namespace = "sdtest-ending-\(getpid())"
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["netns", "add", namespace]).status, 0)
        defer { _ = try? runProgram("/usr/sbin/ip", ["netns", "delete", namespace]) }
        let inNamespace = try startSockdiag(["trace", "--", "sleep", "30"], environment: environment,
                                            through: ["/usr/sbin/ip", "netns", "exec", namespace])
        let mounted = Date().addingTimeInterval(20)
        while !entries().contains(where: { $0.hasPrefix("sockdiag-cgroup2-") }) && Date() < mounted { usleep(20_000) }
        usleep(300_000)
        kill(inNamespace.processIdentifier, SIGKILL)
        inNamespace.waitUntilExit()
        killCommandsLeftIn(TraceFixture.cgroupRoot + "/sockdiag-trace-\(inNamespace.processIdentifier)")
        XCTAssertEqual(entries().filter { $0.hasPrefix("sockdiag-cgroup2-") }.count, 1, "\(entries())")
        let again = try runProgram("/usr/sbin/ip", ["netns", "exec", namespace, Sockdiag.executable.path, "trace", "--", "true"],
                                   environment: environment)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(entries(), [], "the next run under ip netns exec removes the dead run's mount point")
        XCTAssertFalse(FileManager.default.fileExists(atPath: TraceFixture.cgroupRoot + "/sockdiag-trace-\(inNamespace.processIdentifier)"))
    }

    func startSockdiag(_ arguments: [String], environment: [String: String], through prefix: [String] = []) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prefix.first ?? Sockdiag.executable.path)
        process.arguments = prefix.isEmpty ? arguments : Array(prefix.dropFirst()) + [Sockdiag.executable.path] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// A run killed by SIGKILL leaves its command running in its transient cgroup: the test stops it.
    func killCommandsLeftIn(_ cgroup: String) {
        let procs = (try? String(contentsOfFile: cgroup + "/cgroup.procs", encoding: .utf8)) ?? ""
        for pid in procs.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        for _ in 0..<100 where FileManager.default.fileExists(atPath: cgroup) {
            if rmdir(cgroup) == 0 { break }
            usleep(20_000)
        }
    }

    // MARK: Helpers

    func runWithStandardInput(_ arguments: [String], input: String) throws -> CommandResult {
        let process = Process()
        process.executableURL = Sockdiag.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: input))
        try process.run()
        let output = TraceFixture.Output()
        output.group.enter()
        DispatchQueue.global().async { output.stdout = out.fileHandleForReading.readDataToEndOfFile(); output.group.leave() }
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        output.group.wait()
        let stdout = output.stdout
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
    }
}
