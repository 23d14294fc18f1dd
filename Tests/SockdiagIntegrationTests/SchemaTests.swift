import Foundation
import SockdiagCore
import XCTest

/// Every subcommand and mode with JSON output, run for real and validated against docs/schema/
/// (`Sockdiag.run` validates each JSON output; these runs make sure every schema and every event
/// kind is met). A saved trace reads the same in compare-wire with or without the schema key.
final class SchemaTests: XCTestCase {
    var namespace = ""
    var scratch: URL!

    override func setUpWithError() throws {
        try requirePrivileges()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-schema-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        namespace = "sdtest-schema-\(getpid())"
        _ = try runProgram("/usr/bin/env", ["ip", "netns", "del", namespace])
        XCTAssertEqual(try runProgram("/usr/bin/env", ["ip", "netns", "add", namespace]).status, 0)
        XCTAssertEqual(try runProgram("/usr/bin/env", ["ip", "-n", namespace, "link", "set", "lo", "up"]).status, 0)
    }

    override func tearDownWithError() throws {
        if !namespace.isEmpty { _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", namespace]) }
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// Runs sockdiag (which validates the JSON) and returns the schemas its output named.
    func schemas(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (CommandResult, [String]) {
        let result = try Sockdiag.run(arguments, file: file, line: line)
        XCTAssertTrue([0, 1].contains(result.status), "\(arguments): \(result.stderr)", file: file, line: line)
        let outcome = try SchemaValidation.validate(result.stdout)
        XCTAssertEqual(outcome.errors, [], file: file, line: line)
        return (result, outcome.schemas)
    }

    func testBindCheckEveryMode() throws {
        let holder = try BindCheckHolder("127.0.0.1", 46190, prefix: ["ip", "netns", "exec", namespace])
        defer { holder.stop() }
        XCTAssertEqual(try schemas(["bind-check", "--json", "--netns", namespace, "::", "46190"]).1, [JSONSchemaID.bindCheck])
        XCTAssertEqual(try schemas(["bind-check", "--json", "--udp", "127.0.0.1", "0"]).1, [JSONSchemaID.bindCheck])
        XCTAssertEqual(try schemas(["bind-check", "--all", "--json", "--netns", namespace]).1, [JSONSchemaID.bindCheckAll])
        XCTAssertEqual(try schemas(["bind-check", "--all", "--udp", "--json"]).1, [JSONSchemaID.bindCheckAll])
        let (walk, named) = try schemas(["bind-check", "--all", "--all-netns", "--json"])
        XCTAssertEqual(named, [JSONSchemaID.bindCheckAllNetns])
        // Each namespace inside is a bind-check --all document and names that schema too.
        let inner = ((walk.json as? [String: Any])?["namespaces"] as? [[String: Any]]) ?? []
        XCTAssertGreaterThanOrEqual(inner.count, 2)
        XCTAssertTrue(inner.allSatisfy { $0["schema"] as? String == JSONSchemaID.bindCheckAll })
    }

    func testConnectCheck() throws {
        let holder = try BindCheckHolder("127.0.0.1", 46191, prefix: ["ip", "netns", "exec", namespace])
        defer { holder.stop() }
        for host in ["127.0.0.1", "::1"] {
            XCTAssertEqual(try schemas(["connect-check", "--json", "--netns", namespace, host, "46191"]).1, [JSONSchemaID.connectCheck])
        }
        XCTAssertEqual(try schemas(["connect-check", "--json", "--probe", "--netns", namespace, "127.0.0.1", "46191"]).1,
                       [JSONSchemaID.connectCheck])
    }

    /// Every event kind of trace --json: connect, sendmsg, bind, egress (first and totals), outcome, summary,
    /// and under a policy redirect and blocked.
    func testTraceEveryEventKind() throws {
        let client = """
        import socket
        udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        udp.sendto(b"x", ("::ffff:127.0.0.1", 46192))
        udp.sendto(b"x", ("::1", 46193))
        tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            tcp.connect(("::ffff:127.0.0.1", 46194))
        except OSError:
            pass
        bound = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        bound.bind(("::", 0))
        """
        let (plain, _) = try schemas(["trace", "--json", "--", "python3", "-c", client])
        let (policy, _) = try schemas(["trace", "--json", "--redirect", "46192=127.0.0.1:46195", "--block-ipv6", "--", "python3", "-c", client])
        let kinds = Set((plain.jsonLines + policy.jsonLines).compactMap { $0["event"] as? String })
        XCTAssertEqual(kinds, ["connect", "sendmsg", "bind", "egress", "outcome", "summary", "redirect", "blocked"])
        XCTAssertTrue((plain.jsonLines + policy.jsonLines).allSatisfy { $0["schema"] as? String == JSONSchemaID.traceEvent })
        let finals = Set(plain.jsonLines.filter { $0["event"] as? String == "egress" }.compactMap { $0["final"] as? Bool })
        XCTAssertEqual(finals, [false, true])
    }

    /// compare-wire live, then offline from what it saved: the trace log as written now (each line
    /// naming its schema) and the same log without the key (as saved before) give the same report.
    func testCompareWireLiveAndOfflineWithOldAndNewLogs() throws {
        let capture = scratch.appendingPathComponent("live.pcapng").path
        let client = "import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(b'x', ('::ffff:127.0.0.1', 46196)); s.sendto(b'x', ('::1', 46196))"
        XCTAssertEqual(try schemas(["compare-wire", "--interface", "lo", "--json", "--write-pcapng", capture, "--", "python3", "-c", client]).1,
                       [JSONSchemaID.compareWire])
        let (trace, _) = try schemas(["trace", "--json", "--", "python3", "-c", client])
        let current = scratch.appendingPathComponent("current.jsonl"), old = scratch.appendingPathComponent("old.jsonl")
        try trace.stdout.write(to: current, atomically: true, encoding: .utf8)
        let prefix = "{\"schema\":\"\(JSONSchemaID.traceEvent)\","
        let lines = trace.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix(prefix) })
        try lines.map { "{" + $0.dropFirst(prefix.count) + "\n" }.joined().write(to: old, atomically: true, encoding: .utf8)
        var reports: [[String: Any]] = []
        for log in [current, old] {
            let (result, named) = try schemas(["compare-wire", "--pcap", capture, "--events", log.path, "--json"])
            XCTAssertEqual(named, [JSONSchemaID.compareWire])
            var document = try XCTUnwrap(result.json as? [String: Any])
            var events = try XCTUnwrap(document["events"] as? [String: Any])
            events["file"] = nil
            document["events"] = events
            reports.append(document)
        }
        XCTAssertEqual(reports[0] as NSDictionary, reports[1] as NSDictionary)
        XCTAssertEqual((reports[0]["events"] as? [String: Any])?["garbage_lines"] as? Int, 0)
        XCTAssertGreaterThan((reports[0]["events"] as? [String: Any])?["events"] as? Int ?? 0, 0)
    }
}
