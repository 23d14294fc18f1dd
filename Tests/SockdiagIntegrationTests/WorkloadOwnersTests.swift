import Foundation
import XCTest

/// Wherever sockdiag names a process, it names the workload its cgroup path names: two servers
/// split one port (an AF_INET6 V6ONLY listener on [::] in a directory laid out as systemd's
/// system.slice/NAME.service, an AF_INET one on 127.0.0.1 in one laid out as Docker's systemd
/// driver, system.slice/docker-ID.scope), and bind-check --all, trace and compare-wire say which
/// unit and which container holds which socket.
final class WorkloadOwnersTests: XCTestCase {
    static let containerID = String(repeating: "0123456789abcdef", count: 4)

    final class SplitPort {
        let base: String
        let unitDirectory: String
        let containerDirectory: String
        let port: Int
        var processes: [Process] = []

        init() throws {
            let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
            let mount = try XCTUnwrap(mountinfo.split(separator: "\n").first { $0.contains(" - cgroup2 ") }?
                .split(separator: " ").dropFirst(4).first.map(String.init), "no cgroup2 mount")
            base = "\(mount)/sdtest-owners-\(getpid())"
            unitDirectory = "\(base)/system.slice/sdtest-web.service"
            containerDirectory = "\(base)/system.slice/docker-\(WorkloadOwnersTests.containerID).scope"
            for directory in [unitDirectory, containerDirectory] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            port = TraceFixture.port(40)
            try start(in: unitDirectory, #"s=socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); s.bind(('::', PORT))"#)
            try start(in: containerDirectory, #"s=socket.socket(socket.AF_INET); s.bind(('127.0.0.1', PORT))"#)
        }

        /// A python listener that moves itself into `directory` first (`sh` writes its own pid, then becomes python).
        private func start(in directory: String, _ bind: String) throws {
            let script = "import socket,time; \(bind.replacingOccurrences(of: "PORT", with: String(port))); s.listen(); print('ready', flush=True); time.sleep(60)"
            let process = Process()
            let line = try process.startAndReadFirstLine(["sh", "-c", "echo $$ > \(directory)/cgroup.procs && exec python3 -c \"\(script)\""],
                                                        input: Pipe(), output: Pipe())
            processes.append(process)
            guard line.hasPrefix("ready") else { throw POSIXError(.EADDRINUSE) }
        }

        /// Relative to the cgroup v2 mount, as /proc/PID/cgroup prints it.
        func relative(_ directory: String) -> String { "/" + directory.split(separator: "/").drop { $0 != base.split(separator: "/").last! }.joined(separator: "/") }

        func stop() {
            for process in processes where process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            removeCgroups([unitDirectory, containerDirectory, "\(base)/system.slice", base])
        }
    }

    func owner(_ socket: [String: Any]) -> [String: Any]? { (socket["owners"] as? [[String: Any]])?.first }

    func testBindCheckAllSaysWhichUnitAndWhichContainerHoldTheSplitPort() throws {
        try requirePrivileges("cgroups laid out as systemd and Docker do, and real sockets")
        let split = try SplitPort()
        defer { split.stop() }
        let json = try Sockdiag.run(["bind-check", "--all", "--json"])
        let ports = try XCTUnwrap((json.json as? [String: Any])?["ports"] as? [[String: Any]], json.stdout)
        let sockets = try XCTUnwrap(ports.first { $0["port"] as? Int == split.port }?["sockets"] as? [[String: Any]], "\(ports.map { $0["port"] ?? "" })")
        let v6 = try XCTUnwrap(owner(try XCTUnwrap(sockets.first { $0["family"] as? String == "inet6" })))
        XCTAssertEqual(v6["unit"] as? String, "sdtest-web.service")
        XCTAssertEqual(v6["cgroup"] as? String, split.relative(split.unitDirectory))
        XCTAssertTrue(v6["container"] is NSNull)
        let v4 = try XCTUnwrap(owner(try XCTUnwrap(sockets.first { $0["family"] as? String == "inet" })))
        let container = try XCTUnwrap(v4["container"] as? [String: Any], "\(v4)")
        XCTAssertEqual(container["runtime"] as? String, "docker")
        XCTAssertEqual(container["id"] as? String, Self.containerID)
        XCTAssertTrue(v4["unit"] is NSNull, "the container's scope is not the process's unit: \(v4)")
        XCTAssertEqual(v4["cgroup"] as? String, split.relative(split.containerDirectory))

        // Every namespace's ports: the host's holds the split port, each side named by its workload.
        let everywhere = try Sockdiag.run(["bind-check", "--all", "--all-netns", "--json"])
        let namespaces = try XCTUnwrap((everywhere.json as? [String: Any])?["namespaces"] as? [[String: Any]], everywhere.stdout)
        let owners = namespaces.flatMap { ($0["ports"] as? [[String: Any]]) ?? [] }.filter { $0["port"] as? Int == split.port }
            .flatMap { ($0["sockets"] as? [[String: Any]]) ?? [] }.compactMap(owner)
        XCTAssertEqual(Set(owners.compactMap { $0["unit"] as? String }), ["sdtest-web.service"], "\(owners)")
        XCTAssertEqual(owners.compactMap { ($0["container"] as? [String: Any])?["id"] as? String }, [Self.containerID])

        let text = try Sockdiag.run(["bind-check", "--all"])
        let row = try XCTUnwrap(text.stdout.split(separator: "\n").first { $0.hasPrefix("\(split.port) ") }, text.stdout)
        XCTAssertTrue(row.contains("[docker \(Self.containerID.prefix(12))]") && row.contains("[sdtest-web.service]"),
                      "IPv4 clients reach the container, IPv6 ones the unit: \(row)")
    }

    func testTraceSocketEventsNameTheUnitAndTheContainer() throws {
        try requirePrivileges("cgroups laid out as systemd and Docker do, and the eBPF tracer")
        let split = try SplitPort()
        defer { split.stop() }
        let result = try Sockdiag.run(["trace", "--cgroup", split.base, "--json", "--duration", "0.3"])
        let sockets = result.jsonLines.filter { $0["event"] as? String == "socket" && $0["local_port"] as? Int == split.port }
        XCTAssertEqual(sockets.count, 2, result.stdout)
        let v6 = try XCTUnwrap(sockets.first { $0["socket_family"] as? String == "inet6" })
        XCTAssertEqual(v6["unit"] as? String, "sdtest-web.service")
        XCTAssertEqual(v6["v6only"] as? Bool, true)
        XCTAssertEqual(v6["cgroup"] as? String, split.relative(split.unitDirectory))
        let v4 = try XCTUnwrap(sockets.first { $0["socket_family"] as? String == "inet" })
        XCTAssertEqual((v4["container"] as? [String: Any])?["id"] as? String, Self.containerID)
        let text = try Sockdiag.run(["trace", "--cgroup", split.base, "--duration", "0.3"])
        XCTAssertTrue(text.stdout.contains("python3 [sdtest-web.service]") && text.stdout.contains("python3 [docker \(Self.containerID.prefix(12))]"), text.stdout)
    }

    /// An event log read offline names each row's workload as the live run does: trace writes the
    /// cgroup keys on every line, after the keys the log reader stops at.
    func testOfflineCompareWireRowsNameTheUnitAndTheContainer() throws {
        try requirePrivileges("cgroups laid out as systemd and Docker do, tcpdump on lo and the eBPF tracer")
        let lab = try WorkloadLab()
        defer { lab.cleanUp() }
        let id = lab.containerID("0123456789ab")
        let unit = try lab.cgroup("system.slice/sdtest-web.service")
        let container = try lab.cgroup("system.slice/docker-\(id).scope")
        let port = TraceFixture.port(46)
        let scratch = try WireScratch()
        let capture = try WireTcpdump(interface: "lo", filter: "udp port \(port)", output: scratch.path("lo.pcap"))
        let unitSender = try lab.sender(in: unit, port: port)
        let containerSender = try lab.sender(in: container, port: port)
        let trace = try Sockdiag.run(["trace", "--cgroup", lab.root, "--json", "--duration", "1"])
        capture.stop()
        XCTAssertEqual(trace.status, 1, "ipv4-mapped sends exit 1: \(trace.stderr)")
        try trace.stdout.write(to: scratch.file("trace.jsonl"), atomically: true, encoding: .utf8)
        // What the kernel says each sender's cgroup is.
        func procCgroup(_ pid: Int32) throws -> String {
            let text = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
            return String(try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("0::") }?.dropFirst(3)))
        }

        let result = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("lo.pcap"), "--events", scratch.path("trace.jsonl"), "--json"])
        let flows = wireFlows(result.json, port: port)
        let unitRow = try XCTUnwrap(flows.first { $0["pid"] as? Int == Int(unitSender) }, result.stdout)
        XCTAssertEqual(unitRow["cgroup"] as? String, try procCgroup(unitSender))
        XCTAssertEqual(unitRow["unit"] as? String, "sdtest-web.service")
        XCTAssertTrue(unitRow["container"] is NSNull, "\(unitRow)")
        let containerRow = try XCTUnwrap(flows.first { $0["pid"] as? Int == Int(containerSender) }, result.stdout)
        XCTAssertEqual(containerRow["cgroup"] as? String, try procCgroup(containerSender))
        XCTAssertEqual((containerRow["container"] as? [String: Any])?["id"] as? String, id)
        XCTAssertEqual((containerRow["container"] as? [String: Any])?["runtime"] as? String, "docker")
        XCTAssertTrue(containerRow["unit"] is NSNull, "\(containerRow)")

        let text = try Sockdiag.run(["compare-wire", "--pcap", scratch.path("lo.pcap"), "--events", scratch.path("trace.jsonl")])
        XCTAssertTrue(text.stdout.contains("\(unitSender)/python3 [sdtest-web.service]"), text.stdout)
        XCTAssertTrue(text.stdout.contains("\(containerSender)/python3 [docker \(id.prefix(12))]"), text.stdout)
    }

    /// A redirect names the unit whose send it rewrote, in JSON and text, as its sends do.
    func testRedirectEventsNameTheUnit() throws {
        try requirePrivileges("a cgroup laid out as systemd's, and the policy programs")
        let lab = try WorkloadLab()
        defer { lab.cleanUp() }
        let name = "sdtest-dns\(lab.tag).service"
        let unit = try lab.cgroup("system.slice/\(name)")
        let port = TraceFixture.port(47), target = TraceFixture.port(48)
        let sender = try lab.sender(in: unit, port: port)
        let expected = try XCTUnwrap(try String(contentsOfFile: "/proc/\(sender)/cgroup", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("0::") }?.dropFirst(3)).description
        let policy = ["trace", "--cgroup", unit, "--redirect", "\(port)=127.0.0.1:\(target)", "--duration", "0.5"]
        let result = try Sockdiag.run(policy + ["--json"])
        let redirects = result.jsonLines.filter { $0["event"] as? String == "redirect" }
        XCTAssertFalse(redirects.isEmpty, result.stdout)
        for redirect in redirects {
            XCTAssertEqual(redirect["pid"] as? Int, Int(sender))
            XCTAssertEqual(redirect["cgroup"] as? String, expected)
            XCTAssertEqual(redirect["unit"] as? String, name)
            XCTAssertTrue(redirect["container"] is NSNull, "\(redirect)")
        }
        let text = try Sockdiag.run(policy)
        let rows = text.stdout.split(separator: "\n").filter { $0.hasSuffix("redirected") }
        XCTAssertFalse(rows.isEmpty, text.stdout)
        XCTAssertTrue(rows.allSatisfy { $0.contains(" python3 [\(name)] ") }, text.stdout)
    }

    /// Trace's text keeps its columns under the header when the COMM column carries workload
    /// labels: each cell of every line starts where the header's title does.
    func testTraceTextColumnsStayAlignedBesideWorkloadLabels() throws {
        try requirePrivileges("cgroups laid out as systemd and Docker do, and the eBPF tracer")
        let lab = try WorkloadLab()
        defer { lab.cleanUp() }
        let id = lab.containerID("0123456789ab")
        let port = TraceFixture.port(49)
        _ = try lab.sender(in: try lab.cgroup("system.slice/sdtest-frontend\(lab.tag).service"), port: port)
        _ = try lab.sender(in: try lab.cgroup("system.slice/docker-\(id).scope"), port: port)
        let result = try Sockdiag.run(["trace", "--cgroup", lab.root, "--duration", "1"])
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Each block: a header line, then rows up to a blank line (lesson lines under a row aside).
        var checked = 0
        for (at, header) in lines.enumerated() where header.hasPrefix("TIME ") {
            // Titles are two or more spaces apart ("LOCAL -> REMOTE" is one).
            let h = Array(header)
            let starts = h.indices.filter { h[$0] != " " && ($0 == 0 || ($0 >= 2 && h[$0 - 1] == " " && h[$0 - 2] == " ")) }
            let titles = starts.map { String(h[$0...].prefix { $0 != " " }) }
            for row in lines[(at + 1)...].prefix(while: { !$0.isEmpty }) where !row.hasPrefix("  !") {
                let characters = Array(row)
                // COMM to ADDRESS; CLASS follows an ADDRESS that may be wider than its column.
                for (title, start) in zip(titles, starts).dropFirst(2).dropLast() {
                    // A cell starts at its title: two spaces before it, something at it.
                    XCTAssertTrue(start < characters.count && characters[start] != " " && characters[start - 1] == " " && characters[start - 2] == " ",
                                  "\(title) is not under its title in:\n\(header)\n\(row)")
                }
                checked += 1
            }
        }
        XCTAssertTrue(result.stdout.contains("python3 [docker \(id.prefix(12))]") && result.stdout.contains("python3 [sdtest-frontend\(lab.tag).service]"), result.stdout)
        XCTAssertGreaterThan(checked, 4, result.stdout)
    }
}
