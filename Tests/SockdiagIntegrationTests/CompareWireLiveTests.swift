import Foundation
import XCTest

/// Live compare-wire: the tracer and the capture at once, on lo and across a veth pair between two
/// network namespaces the test creates.
final class CompareWireLiveTests: XCTestCase {
    func testLiveOnLoopbackWithACommand() throws {
        try requirePrivileges("the eBPF tracer and a live capture")
        let scratch = try WireScratch()
        let result = try Sockdiag.run(["compare-wire", "--interface", "lo", "--json", "--write-pcapng", scratch.path("live.pcapng"),
                                       "--", python3Path, scratch.path("client.py"), "connect-local", "48220", "127.0.0.1", "::1"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let client = try XCTUnwrap(clientLine(result.stderr), "the command's stdout goes to stderr under --json: \(result.stderr)")
        assertDualStackFlows(wireFlows(result.json, port: 48220), client: client, v4: "127.0.0.1", v6: "::1")
        let capture = (result.json as? [String: Any])?["capture"] as? [String: Any]
        XCTAssertEqual(capture?["interface"] as? String, "lo")
        XCTAssertEqual(capture?["link_type"] as? String, "EN10MB")
        let comments = try runProgram("/usr/bin/tshark", ["-r", scratch.path("live.pcapng"), "-Y", "tcp.srcport == \(client.ports["ipv6"]!)",
                                                          "-T", "fields", "-e", "frame.comment"])
        XCTAssertTrue(comments.stdout.contains("pid \(client.pid) (python3), socket inet6 connect6 to [::1]:48220 (ipv6)"), comments.stdout)
        // and how the connect and the connection ended, as the OUTCOME column says it.
        let packets = comments.stdout.split(separator: "\n")
        XCTAssertFalse(packets.isEmpty, comments.stdout)
        for packet in packets {
            XCTAssertTrue(packet.contains("; outcome established ") && packet.hasSuffix(", closed"), String(packet))
        }
    }

    /// Without --interface the capture is on `any` (Linux cooked capture), where a VLAN clause in
    /// the filter would not compile.
    func testLiveOnTheDefaultAnyInterface() throws {
        try requirePrivileges("the eBPF tracer and a live capture")
        let scratch = try WireScratch()
        let result = try Sockdiag.run(["compare-wire", "--json",
                                       "--", python3Path, scratch.path("client.py"), "connect-local", "48230", "127.0.0.1", "::1"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let capture = (result.json as? [String: Any])?["capture"] as? [String: Any]
        XCTAssertEqual(capture?["interface"] as? String, "any")
        XCTAssertTrue(["LINUX_SLL", "LINUX_SLL2"].contains(capture?["link_type"] as? String ?? ""), "\(String(describing: capture))")
        let client = try XCTUnwrap(clientLine(result.stderr), result.stderr)
        assertDualStackFlows(wireFlows(result.json, port: 48230), client: client, v4: "127.0.0.1", v6: "::1")
    }

    func testLiveOnACgroupWithATrafficMakerMovedIntoIt() throws {
        try requirePrivileges("a cgroup, the eBPF tracer and a live capture")
        let scratch = try WireScratch()
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        let mount = try XCTUnwrap(mountinfo.split(separator: "\n").first { $0.contains(" - cgroup2 ") }?
            .split(separator: " ").dropFirst(4).first.map(String.init), "no cgroup2 mount")
        let cgroup = "\(mount)/sdtest-wire-\(getpid())"
        XCTAssertEqual(mkdir(cgroup, 0o755), 0)
        defer { rmdir(cgroup) }

        let compare = Process()
        compare.executableURL = Sockdiag.executable
        compare.arguments = ["compare-wire", "--cgroup", cgroup, "--interface", "lo", "--duration", "4", "--json"]
        let output = Pipe()
        compare.standardOutput = output
        compare.standardError = FileHandle.nullDevice
        try compare.run()
        usleep(1_500_000)  // attached and capturing
        // The client joins the cgroup before it runs: `sh` moves itself, then becomes python.
        let client = try runProgram("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && exec \(python3Path) \(scratch.path("client.py")) connect-local 48225 127.0.0.1 ::1"])
        let report = output.fileHandleForReading.readDataToEndOfFile()
        compare.waitUntilExit()
        XCTAssertEqual(compare.terminationStatus, 1)
        let dualStack = try XCTUnwrap(clientLine(client.stdout), client.stderr)
        let json = try JSONSerialization.jsonObject(with: report)
        assertDualStackFlows(wireFlows(json, port: 48225), client: dualStack, v4: "127.0.0.1", v6: "::1")
    }

    func testLiveAcrossAVethPairBetweenTwoNamespaces() throws {
        try requirePrivileges("network namespaces, the eBPF tracer and a live capture")
        let scratch = try WireScratch()
        let suffix = String(getpid() % 100_000)
        let client = "sdtest-wire-a\(suffix)", server = "sdtest-wire-b\(suffix)"
        func ip(_ arguments: String) throws {
            let result = try runProgram("/usr/sbin/ip", arguments.split(separator: " ").map(String.init))
            XCTAssertEqual(result.status, 0, "ip \(arguments): \(result.stderr)")
        }
        try ip("netns add \(client)")
        defer { _ = try? runProgram("/usr/sbin/ip", ["netns", "del", client]) }
        try ip("netns add \(server)")
        defer { _ = try? runProgram("/usr/sbin/ip", ["netns", "del", server]) }
        try ip("link add sdw\(suffix)a netns \(client) type veth peer name sdw\(suffix)b netns \(server)")
        for (ns, end, last) in [(client, "a", 1), (server, "b", 2)] {
            try ip("-n \(ns) link set lo up")
            try ip("-n \(ns) link set sdw\(suffix)\(end) up")
            try ip("-n \(ns) addr add 10.231.0.\(last)/24 dev sdw\(suffix)\(end)")
            try ip("-n \(ns) addr add fd00:231::\(last)/64 dev sdw\(suffix)\(end) nodad")
        }
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        listener.arguments = ["netns", "exec", server, python3Path, scratch.path("client.py"), "serve", "48230"]
        let ready = Pipe()
        listener.standardOutput = ready
        try listener.run()
        defer { listener.terminate(); listener.waitUntilExit() }
        _ = ready.fileHandleForReading.availableData  // "ready"

        let result = try runProgram("/usr/sbin/ip", ["netns", "exec", client, Sockdiag.executable.path, "compare-wire",
                                                     "--interface", "sdw\(suffix)a", "--json", "--",
                                                     python3Path, scratch.path("client.py"), "connect", "48230", "10.231.0.2", "fd00:231::2"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let dualStack = try XCTUnwrap(clientLine(result.stderr), result.stderr)
        assertDualStackFlows(wireFlows(result.json, port: 48230), client: dualStack, v4: "10.231.0.2", v6: "fd00:231::2")
        XCTAssertEqual(((result.json as? [String: Any])?["capture"] as? [String: Any])?["link_type"] as? String, "EN10MB")
    }
}
