import Foundation
import XCTest
import SockdiagCore

/// `--openmetrics` on real runs, read back by Prometheus's own checker (`promtool check metrics`)
/// and by the Python client's OpenMetrics and Prometheus-text parsers: a split port whose two
/// holders live in a systemd-style unit and a Docker-style container cgroup, an empty namespace,
/// several namespaces at once, and a trace of a dual-stack sender.
final class OpenMetricsTests: XCTestCase {
    var namespaces: [String] = []
    var cgroups: [String] = []
    var scratch: URL!

    override func setUpWithError() throws {
        try requirePrivileges()
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-metrics-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for namespace in namespaces { _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", namespace]) }
        for cgroup in cgroups.reversed() { rmdir(cgroup) }
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    func makeNamespace(_ suffix: String) throws -> String {
        let name = "sdtest-om\(suffix)-\(getpid())"
        _ = try runProgram("/usr/bin/env", ["ip", "netns", "del", name])
        XCTAssertEqual(try runProgram("/usr/bin/env", ["ip", "netns", "add", name]).status, 0)
        namespaces.append(name)
        XCTAssertEqual(try runProgram("/usr/bin/env", ["ip", "-n", name, "link", "set", "lo", "up"]).status, 0)
        return name
    }

    func makeCgroup(_ relative: String) throws -> String {
        try makeCgroupDirectories(relative, under: try XCTUnwrap(cgroup2MountPoint(), "no cgroup2 mount"), made: &cgroups)
    }

    /// A split port: 127.0.0.1:P held by a process in `web-PID.service`, [::]:P (V6ONLY) by one in
    /// a `docker-ID.scope`, inside a namespace of its own. The metrics name both processes with
    /// their unit and container, mark the port split, and count one split finding.
    func testSplitPortWithUnitAndContainer() throws {
        let namespace = try makeNamespace("split")
        let containerID = String(repeating: "0123456789abcdef", count: 4)
        let unitCgroup = try makeCgroup("sockdiag-om-\(getpid())/web-\(getpid()).service")
        let containerCgroup = try makeCgroup("sockdiag-om-\(getpid())/docker-\(containerID).scope")
        func inCgroup(_ cgroup: String) -> [String] {
            ["sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"", cgroup, "ip", "netns", "exec", namespace]
        }
        let port = 46170
        let v4 = try BindCheckHolder("127.0.0.1", port, prefix: inCgroup(unitCgroup))
        defer { v4.stop() }
        let v6 = try BindCheckHolder("::", port, v6only: true, prefix: inCgroup(containerCgroup))
        defer { v6.stop() }

        let file = scratch.appendingPathComponent("split.prom")
        let run = try Sockdiag.run(["bind-check", "--all", "--netns", namespace, "--openmetrics", "--output", file.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stdout, "", "with --output nothing goes to stdout")
        let samples = try checkedSamples(file)
        let scope = ["netns": namespace, "protocol": "tcp"]
        XCTAssertEqual(value(samples, "sockdiag_bind_port_split", scope.merging(["port": "\(port)"]) { $1 }), 1)
        XCTAssertEqual(value(samples, "sockdiag_bind_findings", scope.merging(["kind": "split_families"]) { $1 }), 1)
        XCTAssertEqual(value(samples, "sockdiag_bind_findings", scope.merging(["kind": "ipv4_refused"]) { $1 }), 0)
        XCTAssertEqual(value(samples, "sockdiag_bind_ports", scope), 1)
        XCTAssertEqual(value(samples, "sockdiag_bind_problem_ports", scope), 1)
        let listeners = samples.filter { $0.name == "sockdiag_bind_listener_info" }
        XCTAssertEqual(listeners.count, 2, "\(listeners)")
        XCTAssertTrue(listeners.allSatisfy { $0.value == 1 })
        XCTAssertEqual(listeners.first { $0.labels["family"] == "ipv4" }?.labels,
                       scope.merging(["port": "\(port)", "family": "ipv4", "address": "127.0.0.1", "pid": "\(v4.pid)",
                                      "comm": "perl", "unit": "web-\(getpid()).service"]) { $1 })
        XCTAssertEqual(listeners.first { $0.labels["family"] == "ipv6" }?.labels,
                       scope.merging(["port": "\(port)", "family": "ipv6", "address": "::", "v6only": "true", "pid": "\(v6.pid)",
                                      "comm": "perl", "container": String(containerID.prefix(12))]) { $1 })

        // The same to stdout, byte for byte.
        let printed = try Sockdiag.run(["bind-check", "--all", "--netns", namespace, "--openmetrics"])
        XCTAssertEqual(printed.stdout, try String(contentsOf: file, encoding: .utf8))
    }

    /// A namespace with no listener: every family is still declared, the counts are zero.
    func testEmptyNamespace() throws {
        let namespace = try makeNamespace("empty")
        let run = try Sockdiag.run(["bind-check", "--all", "--udp", "--netns", namespace, "--openmetrics"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let file = scratch.appendingPathComponent("empty.prom")
        try run.stdout.write(to: file, atomically: true, encoding: .utf8)
        let samples = try checkedSamples(file)
        let scope = ["netns": namespace, "protocol": "udp"]
        XCTAssertEqual(value(samples, "sockdiag_bind_ports", scope), 0)
        XCTAssertEqual(value(samples, "sockdiag_bind_problem_ports", scope), 0)
        XCTAssertTrue(samples.filter { $0.name == "sockdiag_bind_findings" }.allSatisfy { $0.value == 0 })
        XCTAssertFalse(samples.contains { $0.name == "sockdiag_bind_listener_info" || $0.name == "sockdiag_bind_port_split" })
        for family in ["sockdiag_bind_listener_info", "sockdiag_bind_port_split"] {
            XCTAssertTrue(run.stdout.contains("# TYPE \(family) gauge\n"), family)
        }
    }

    /// --all-netns: each namespace is labelled by its `ip netns` name; one series per namespace
    /// and port, so the file of a whole host stays valid (no duplicate series).
    func testSeveralNamespaces() throws {
        let first = try makeNamespace("a"), second = try makeNamespace("b")
        let holderA = try BindCheckHolder("127.0.0.1", 46171, prefix: ["ip", "netns", "exec", first])
        defer { holderA.stop() }
        let holderB = try BindCheckHolder("::", 46171, v6only: false, prefix: ["ip", "netns", "exec", second])
        defer { holderB.stop() }
        let file = scratch.appendingPathComponent("all.prom")
        let run = try Sockdiag.run(["bind-check", "--all", "--all-netns", "--openmetrics", "-o", file.path])
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        let samples = try checkedSamples(file)
        for (namespace, holder) in [(first, holderA), (second, holderB)] {
            let scope = ["netns": namespace, "protocol": "tcp"]
            XCTAssertEqual(value(samples, "sockdiag_bind_ports", scope), 1, namespace)
            XCTAssertEqual(value(samples, "sockdiag_bind_port_split", scope.merging(["port": "46171"]) { $1 }), 0, namespace)
            XCTAssertTrue(samples.contains { $0.name == "sockdiag_bind_listener_info" && $0.labels["netns"] == namespace
                && $0.labels["pid"] == "\(holder.pid)" }, namespace)
        }
        XCTAssertGreaterThanOrEqual(Set(samples.compactMap { $0.labels["netns"] }).count, 3, "the host's own namespace too")
    }

    /// A dual-stack sender traced: events by hook and class, the AF_INET6 socket that sent IPv4.
    func testTraceOfADualStackSender() throws {
        let file = scratch.appendingPathComponent("trace.prom")
        let sender = "import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.sendto(b'x', ('::ffff:127.0.0.1', 9))"
        let run = try Sockdiag.run(["trace", "--openmetrics", "--output", file.path, "--", "python3", "-c", sender])
        XCTAssertEqual(run.status, 1, run.stderr)
        let samples = try checkedSamples(file)
        let scope = ["command": "python3"]
        let events = samples.filter { $0.name == "sockdiag_trace_events" }
        XCTAssertEqual(events.map(\.value).reduce(0, +), 1, "\(events)")
        XCTAssertEqual(events.first?.labels["class"], "ipv4-mapped")
        XCTAssertEqual(value(samples, "sockdiag_trace_family_mismatch_sockets", scope), 1)
        XCTAssertEqual(value(samples, "sockdiag_trace_ipv4_mapped_sockets", scope), 1)
        XCTAssertEqual(value(samples, "sockdiag_trace_egress_sockets",
                             scope.merging(["socket_family": "inet6", "wire_protocol": "ipv4"]) { $1 }), 1)
        XCTAssertEqual(value(samples, "sockdiag_trace_lost_events", scope), 0)
        XCTAssertGreaterThan(try XCTUnwrap(value(samples, "sockdiag_trace_duration_seconds", scope)), 0)
    }

    /// Outcomes and races: a client refused on [::1] that falls back to 127.0.0.1 and connects.
    func testTraceOutcomesAndRaces() throws {
        let file = scratch.appendingPathComponent("race.prom")
        let port = try BindCheckPorts.free(46452)
        let client = """
            import socket
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", \(port)))
            listener.listen(4)
            try:
                socket.create_connection(("::1", \(port)), timeout=2)
            except OSError:
                pass
            c = socket.create_connection(("127.0.0.1", \(port)), timeout=2)
            a, _ = listener.accept()
            a.close()
            c.close()
            """
        let run = try Sockdiag.run(["trace", "--openmetrics", "--output", file.path, "--", "python3", "-c", client])
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        let samples = try checkedSamples(file)
        let scope = ["command": "python3"]
        let outcomes = samples.filter { $0.name == "sockdiag_trace_outcomes" }
        XCTAssertEqual(Set(outcomes.compactMap { $0.labels["outcome"] }), Set(TraceOutcomeKind.allCases.map(\.rawValue)), "every outcome listed")
        XCTAssertEqual(value(samples, "sockdiag_trace_outcomes", scope.merging(["outcome": "refused"]) { $1 }), 1)
        XCTAssertEqual(value(samples, "sockdiag_trace_outcomes", scope.merging(["outcome": "established"]) { $1 }), 1)
        XCTAssertEqual(value(samples, "sockdiag_trace_outcomes", scope.merging(["outcome": "timed-out"]) { $1 }), 0)
        XCTAssertEqual(value(samples, "sockdiag_trace_races", scope.merging(["won_by": "ipv4"]) { $1 }), 1)
        XCTAssertEqual(value(samples, "sockdiag_trace_races", scope.merging(["won_by": "ipv6"]) { $1 }), 0)
        XCTAssertEqual(value(samples, "sockdiag_trace_races", scope.merging(["won_by": "none"]) { $1 }), 0)
    }

    /// The alerting rule in docs/fleet.md, as written there: promtool accepts it, and its unit test
    /// fires on a split port held for five minutes, not on a healthy port nor before five minutes.
    func testAlertingRuleInTheDocs() throws {
        let docs = try String(contentsOf: Self.fleetDocs, encoding: .utf8)
        let section = try XCTUnwrap(docs.components(separatedBy: "## An alerting rule for split ports").dropFirst().first)
        let rules = try XCTUnwrap(section.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        try rules.write(to: scratch.appendingPathComponent("sockdiag.rules.yml"), atomically: true, encoding: .utf8)
        let check = try runProgram("/usr/bin/env", ["promtool", "check", "rules", scratch.appendingPathComponent("sockdiag.rules.yml").path])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains("SUCCESS: 2 rules found"), check.stdout)

        let unitTest = """
        rule_files: [sockdiag.rules.yml]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - series: 'sockdiag_bind_port_split{instance="h1",netns="net:[1]",protocol="tcp",port="8080"}'
                values: '1x10'
              - series: 'sockdiag_bind_port_split{instance="h1",netns="net:[1]",protocol="tcp",port="22"}'
                values: '0x10'
            alert_rule_test:
              - eval_time: 3m
                alertname: SockdiagPortSplitBetweenFamilies
                exp_alerts: []
              - eval_time: 6m
                alertname: SockdiagPortSplitBetweenFamilies
                exp_alerts:
                  - exp_labels: {severity: warning, instance: h1, netns: "net:[1]", protocol: tcp, port: "8080"}
                    exp_annotations:
                      summary: "Port 8080/tcp on h1 is split between IPv4 and IPv6"
                      description: "IPv4 and IPv6 clients of port 8080 in network namespace net:[1] reach different processes. Run 'sockdiag bind-check --all --netns net:[1]' on the host to see which."
        """
        let testFile = scratch.appendingPathComponent("sockdiag.rules.test.yml")
        try unitTest.write(to: testFile, atomically: true, encoding: .utf8)
        let test = try runProgram("/bin/sh", ["-c", "cd \"$1\" && promtool test rules sockdiag.rules.test.yml", "sh", scratch.path])
        XCTAssertEqual(test.status, 0, test.stdout + test.stderr)
        XCTAssertTrue(test.stdout.contains("SUCCESS"), test.stdout)
    }

    static let fleetDocs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/fleet.md")

    func testOptionMisuse() throws {
        for (arguments, message) in [
            (["bind-check", "--openmetrics", "::", "80"], "--openmetrics goes with --all"),
            (["bind-check", "--all", "--json", "--openmetrics"], "--json and --openmetrics exclude each other"),
            (["bind-check", "--all", "--output", "x.prom"], "--output goes with --openmetrics"),
            (["bind-check", "--all", "--openmetrics", "-o", "/nonexistent-dir/x.prom"], "cannot create files in /nonexistent-dir"),
            (["trace", "--json", "--openmetrics", "--", "true"], "--json and --openmetrics exclude each other"),
            (["trace", "--output", "x.prom", "--", "true"], "--output goes with --openmetrics"),
            (["trace", "--openmetrics", "-o", "/nonexistent-dir/x.prom", "--", "true"], "cannot create files in /nonexistent-dir"),
        ] {
            let run = try Sockdiag.run(arguments)
            XCTAssertEqual(run.status, 2, "\(arguments)")
            XCTAssertTrue(run.stderr.hasPrefix("sockdiag: ") && run.stderr.contains(message), "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1)
        }
    }

    // MARK: - Reading the output back

    struct Sample: Decodable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    func value(_ samples: [Sample], _ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// promtool must pass the file without a lint problem, the Python client's OpenMetrics parser
    /// (strict: `# EOF`, names, units) and its Prometheus-text parser must read the same samples of
    /// the same types; the samples come back for the test's own checks.
    func checkedSamples(_ file: URL, file callerFile: StaticString = #filePath, line: UInt = #line) throws -> [Sample] {
        let promtool = try runProgram("/bin/sh", ["-c", "promtool check metrics < \"$1\"", "sh", file.path])
        XCTAssertEqual(promtool.status, 0, "promtool: \(promtool.stdout)\(promtool.stderr)", file: callerFile, line: line)
        XCTAssertEqual(promtool.stdout + promtool.stderr, "", file: callerFile, line: line)
        // Every family is described in docs/fleet.md.
        let docs = try String(contentsOf: Self.fleetDocs, encoding: .utf8)
        for text in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where text.hasPrefix("# TYPE ") {
            let name = text.split(separator: " ")[2]
            XCTAssertTrue(docs.contains("| `\(name)` |"), "docs/fleet.md has no row for \(name)", file: callerFile, line: line)
        }
        let parsed = try runProgram("/usr/bin/python3", ["-c", Self.parser, file.path])
        XCTAssertEqual(parsed.status, 0, parsed.stderr, file: callerFile, line: line)
        return try JSONDecoder().decode([Sample].self, from: Data(parsed.stdout.utf8))
    }

    static let parser = #"""
    import json, sys
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
    from prometheus_client.parser import text_string_to_metric_families as prometheus
    text = open(sys.argv[1]).read()
    strict = list(openmetrics(text))
    classic = list(prometheus(text))
    assert [(f.name, f.type) for f in strict] == [(f.name, f.type) for f in classic], "families differ"
    key = lambda s: (s.name, sorted(s.labels.items()), s.value)
    samples = [s for f in strict for s in f.samples]
    assert sorted(map(key, samples)) == sorted(key(s) for f in classic for s in f.samples), "samples differ"
    assert all(f.name.startswith("sockdiag_") for f in strict)
    print(json.dumps([{"name": s.name, "labels": s.labels, "value": s.value} for s in samples]))
    """#
}
