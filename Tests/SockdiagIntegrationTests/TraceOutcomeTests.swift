import Foundation
import XCTest

/// How each connect ended, with real clients (a Python Happy Eyeballs client, curl, Node 20) against
/// the real kernel, on loopback and between two test namespaces.
final class TraceOutcomeTests: XCTestCase {
    func testRefusedOnIPv6ThenEstablishedOnIPv4AndClosedWithBytesEachWay() throws {
        try requirePrivileges()
        let scratch = try OutcomeFixture.Scratch(hostName: "he-loop", addresses: ["::1", "127.0.0.1"])
        let port = TraceFixture.port(20), udpPort = TraceFixture.port(21)
        let server = try OutcomeFixture.Server(scratch, ports: [port], ipv4Loopback: true)
        defer { server.stop() }
        // A second program on the port, on 127.0.0.2: the port is split between programs.
        let other = Process(), otherInput = Pipe(), otherOutput = Pipe()
        let otherReady = try other.startAndReadFirstLine(["python3", "-c", "import socket, sys; s = socket.socket(); s.bind(('127.0.0.2', \(port))); s.listen(); print('ready', flush=True); sys.stdin.read()"],
                                                         input: otherInput, output: otherOutput)
        defer { try? otherInput.fileHandleForWriting.close(); other.waitUntilExit() }
        XCTAssertEqual(otherReady, "ready\n")
        let raceStep = "race/250/\(port)/::1/127.0.0.1", udp = "udp/\(udpPort)/127.0.0.1"
        let result = try Sockdiag.run(["trace", "--json", "--", OutcomeFixture.python3, scratch.path("he.py"), raceStep, udp])
        XCTAssertEqual(OutcomeFixture.clientResult(raceStep, result.stderr), "127.0.0.1:62", result.stderr)
        let lines = result.jsonLines
        let refused = try XCTUnwrap(OutcomeFixture.outcome(lines, address: "::1", port: port, kinds: ["refused"]), result.stdout)
        XCTAssertEqual(refused["error"] as? String, "ECONNREFUSED")
        XCTAssertEqual(refused["reset_by"] as? String, "peer")
        XCTAssertEqual(refused["syn_retransmits"] as? Int, 0)
        XCTAssertTrue(refused["icmp"] is NSNull, "a RST is no ICMP message")
        XCTAssertLessThan(refused["elapsed_ns"] as? Int ?? .max, 100_000_000)
        let connect = try XCTUnwrap(lines.first { $0["event"] as? String == "connect" && $0["address"] as? String == "::1" })
        XCTAssertEqual(refused["cookie"] as? Int, connect["cookie"] as? Int)
        XCTAssertEqual(refused["pid"] as? Int, connect["pid"] as? Int)
        // The socket's own IPv6 address and port as the kernel holds them, the port its SYN left from.
        XCTAssertEqual(refused["local_address"] as? String, "::1")
        let syn = lines.first { $0["event"] as? String == "egress" && $0["cookie"] as? Int == connect["cookie"] as? Int }
        XCTAssertEqual(refused["local_port"] as? Int, syn?["local_port"] as? Int)
        XCTAssertNotNil(syn?["local_port"] as? Int)

        let established = try XCTUnwrap(OutcomeFixture.outcome(lines, address: "127.0.0.1", port: port, kinds: ["established"]), result.stdout)
        XCTAssertGreaterThan(established["rtt_us"] as? Int ?? 0, 0)
        XCTAssertEqual(established["syn_retransmits"] as? Int, 0)
        let closed = try XCTUnwrap(OutcomeFixture.outcome(lines, address: "127.0.0.1", port: port, kinds: ["closed"]), result.stdout)
        XCTAssertEqual(closed["cookie"] as? Int, established["cookie"] as? Int)
        XCTAssertEqual(closed["bytes_sent"] as? Int, 5, "the client sent hello")
        XCTAssertEqual(closed["bytes_received"] as? Int, 62, "and read the whole answer")
        XCTAssertGreaterThanOrEqual(closed["elapsed_ns"] as? Int ?? 0, established["elapsed_ns"] as? Int ?? .max)

        XCTAssertEqual(OutcomeFixture.clientResult(udp, result.stderr), "ECONNREFUSED")
        let udpRefused = try XCTUnwrap(OutcomeFixture.outcome(lines, address: "127.0.0.1", port: udpPort, kinds: ["refused"]), result.stdout)
        XCTAssertEqual(udpRefused["protocol"] as? String, "udp")
        XCTAssertEqual(udpRefused["error"] as? String, "ECONNREFUSED")
        XCTAssertEqual(udpRefused["icmp"] as? String, "ICMP destination unreachable, code 3 (port unreachable)")

        // One race: IPv6 refused, the IPv4 fallback won and reached the server, named as bind-check would.
        let races = lines.filter { $0["event"] as? String == "race" }
        XCTAssertEqual(races.count, 1, result.stdout)
        let race = try XCTUnwrap(races.first)
        XCTAssertEqual(race["winner"] as? String, "ipv4")
        XCTAssertEqual(race["port"] as? Int, port)
        let attempts = race["attempts"] as? [[String: Any]] ?? []
        XCTAssertEqual(attempts.map { $0["cookie"] as? Int }, [refused["cookie"] as? Int, established["cookie"] as? Int])
        XCTAssertEqual(attempts.map { $0["outcome"] as? String }, ["refused", "established"])
        XCTAssertEqual(established["group"] as? Int, race["group"] as? Int, "outcomes after the race formed carry its group")
        let listener = race["listener"] as? [String: Any]
        XCTAssertEqual(listener?["pid"] as? Int, Int(server.process.processIdentifier), "the fallback's listener is the server")
        XCTAssertEqual(listener?["address"] as? String, "127.0.0.1")
        // Compared with the port's other listeners: the second program is named, and the lesson given.
        let others = race["other_listeners"] as? [[String: Any]] ?? []
        XCTAssertEqual(others.map { $0["pid"] as? Int }, [Int(other.processIdentifier)], "\(race)")
        XCTAssertEqual(others.first?["address"] as? String, "127.0.0.2")
        XCTAssertEqual((race["lessons"] as? [[String: Any]])?.compactMap { $0["lesson"] as? String }, ["refused-fallback"])
        let verdict = race["verdict"] as? String ?? ""
        XCTAssertTrue(verdict.hasPrefix("IPv4 won: IPv6 was refused (nothing listens on [::1]:\(port))"), "\(race)")
        XCTAssertTrue(verdict.hasSuffix(", not python3 (pid \(other.processIdentifier)) listening on 127.0.0.2:\(port) (port \(port) is split between programs)"), verdict)
        XCTAssertEqual(result.status, 1, "a family that lost a race is a dual-stack surprise")

        let summary = try XCTUnwrap(lines.last)
        XCTAssertEqual((summary["races"] as? [String: Any])?["ipv4_won"] as? Int, 1)
        XCTAssertEqual((summary["outcomes"] as? [String: Int])?["refused"], 2)
        XCTAssertEqual((summary["outcomes"] as? [String: Int])?["closed"], 1)
    }

    func testAServerThatAcceptsThenResets() throws {
        try requirePrivileges()
        let scratch = try OutcomeFixture.Scratch(hostName: "he-loop", addresses: ["127.0.0.1"])
        let port = TraceFixture.port(22)
        let server = try OutcomeFixture.Server(scratch, ports: [port], reset: true)
        defer { server.stop() }
        let step = "connect/\(port)/127.0.0.1"
        let result = try Sockdiag.run(["trace", "--json", "--", OutcomeFixture.python3, scratch.path("he.py"), step])
        XCTAssertEqual(OutcomeFixture.clientResult(step, result.stderr), "62:ECONNRESET", result.stderr)
        let reset = try XCTUnwrap(OutcomeFixture.outcome(result.jsonLines, address: "127.0.0.1", port: port, kinds: ["reset"]), result.stdout)
        XCTAssertEqual(reset["reset_by"] as? String, "peer")
        XCTAssertEqual(reset["error"] as? String, "ECONNRESET")
        XCTAssertEqual(reset["bytes_sent"] as? Int, 5)
        XCTAssertEqual(reset["bytes_received"] as? Int, 62)

        // The client's own abortive close, after the server's FIN: reset by it, with the bytes the
        // kernel held as it sent the RST (it clears them just after).
        let closingPort = TraceFixture.port(29)
        let closingServer = try OutcomeFixture.Server(scratch, ports: [closingPort])
        defer { closingServer.stop() }
        let rstClose = "rstclose/\(closingPort)/127.0.0.1"
        let local = try Sockdiag.run(["trace", "--json", "--", OutcomeFixture.python3, scratch.path("he.py"), rstClose])
        XCTAssertEqual(OutcomeFixture.clientResult(rstClose, local.stderr), "62", local.stderr)
        let localReset = try XCTUnwrap(OutcomeFixture.outcome(local.jsonLines, address: "127.0.0.1", port: closingPort, kinds: ["reset"]),
                                       local.stdout)
        XCTAssertEqual(localReset["reset_by"] as? String, "local")
        XCTAssertTrue(localReset["error"] is NSNull, "\(localReset)")
        XCTAssertEqual(localReset["bytes_sent"] as? Int, 5)
        XCTAssertEqual(localReset["bytes_received"] as? Int, 62)

        let text = try Sockdiag.run(["trace", "--", OutcomeFixture.python3, scratch.path("he.py"), step])
        XCTAssertTrue(text.stdout.split(separator: "\n").contains { $0.contains(" reset ") && $0.contains("127.0.0.1:\(port)")
            && $0.contains("RST received, ECONNRESET, 5 B sent, 62 B received") }, text.stdout)
    }

    /// The connect loop of scripts/bench-trace, shorter, closed with FINs and with RSTs: every connect
    /// gets its established outcome and every connection its end, with nothing lost.
    func testEveryConnectOfALoopHasItsOutcomesAndNoneIsLost() throws {
        try requirePrivileges()
        let port = TraceFixture.port(25), connects = 3000
        let loop = """
        import socket, struct, sys
        port, n, rst = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "rst"
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", port))
        listener.listen(64)
        targets = [(socket.AF_INET6, "::ffff:127.0.0.1"), (socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
        for i in range(n):
            family, address = targets[i % 3]
            client = socket.socket(family, socket.SOCK_STREAM)
            client.connect((address, port))
            accepted, _ = listener.accept()
            if rst:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                accepted.close()
            else:
                accepted.close()
                client.close()
        """
        for mode in ["fin", "rst"] {
            let result = try Sockdiag.run(["trace", "--json", "--", OutcomeFixture.python3, "-c", loop, String(port), String(connects), mode])
            let summary = try XCTUnwrap(result.jsonLines.last, result.stderr)
            XCTAssertEqual(summary["lost"] as? Int, 0, mode)
            let outcomes = summary["outcomes"] as? [String: Int] ?? [:]
            XCTAssertEqual(outcomes["established"], connects, "\(mode): \(outcomes)")
            XCTAssertEqual(mode == "rst" ? outcomes["reset"] : outcomes["closed"], connects, "\(mode): \(outcomes)")
            let resets = result.jsonLines.filter { $0["event"] as? String == "outcome" && $0["outcome"] as? String == "reset" }
            XCTAssertTrue(resets.allSatisfy { $0["reset_by"] as? String == "local" }, "the client's SO_LINGER 0 close sends the RST")
            XCTAssertEqual((summary["races"] as? [String: Any])?["groups"] as? Int, 0, "sequential connects that all succeed are no race")
        }
    }

    /// In a test namespace the server's firewall drops IPv6 SYNs to one port and answers those to
    /// another with ICMPv6 no-route: a silent timeout, an unreachable (the kernel holds the ICMP
    /// error until its first retransmission, about 1 s), and Happy Eyeballs losers aborted after
    /// the client's 250 ms delay, one of them with the ICMP error already in hand.
    func testTimedOutUnreachableAndAbortedBetweenTwoNamespaces() throws {
        try requirePrivileges("network namespaces, nftables and the eBPF tracer")
        let scratch = try OutcomeFixture.Scratch(hostName: "he-ns", addresses: [])
        let net = try OutcomeFixture.Namespaces()
        let dropped = 48_301, rejected = 48_302
        try net.firewall(drop: dropped, reject: rejected)
        // One retransmission asked for: the SYN gives up after about 3 seconds instead of two minutes.
        try net.inClient(["/usr/sbin/sysctl", "-qw", "net.ipv4.tcp_syn_retries=1"])
        let server = try OutcomeFixture.Server(scratch, ports: [dropped, rejected], prefix: ["/usr/sbin/ip", "netns", "exec", net.server])
        defer { server.stop() }
        let v6 = net.serverV6, v4 = net.serverV4
        let steps = ["connect/\(dropped)/\(v6)", "race/2000/\(rejected)/\(v6)/\(v4)", "race/250/\(rejected)/\(v6)/\(v4)",
                     "race/250/\(dropped)/\(v6)/\(v4)", "abort/300/\(dropped)/\(v6)"]
        let result = try runProgram("/usr/sbin/ip", ["netns", "exec", net.client, Sockdiag.executable.path, "trace", "--json", "--",
                                                     OutcomeFixture.python3, scratch.path("he.py")] + steps)
        XCTAssertEqual(steps.map { OutcomeFixture.clientResult($0, result.stderr) }, ["ETIMEDOUT", "\(v4):62", "\(v4):62", "\(v4):62", "aborted"],
                       result.stderr)
        let lines = result.jsonLines
        let outcomes = OutcomeFixture.outcomes(lines).filter { $0["address"] as? String == v6 }
        XCTAssertEqual(outcomes.map { $0["outcome"] as? String }, ["timed-out", "unreachable", "aborted", "aborted", "aborted"], result.stdout)
        guard outcomes.count == 5 else { return }
        let (timedOut, noRoute, abortedAfterICMP, aborted) = (outcomes[0], outcomes[1], outcomes[2], outcomes[3])
        // Closed with SO_LINGER 0 while its SYN went unanswered: the kernel's ECONNRESET for its own
        // disconnect is no error the connect met.
        XCTAssertTrue(outcomes[4]["error"] is NSNull, "\(outcomes[4])")
        XCTAssertTrue((290_000_000..<900_000_000).contains(outcomes[4]["elapsed_ns"] as? Int ?? 0), "\(outcomes[4])")
        XCTAssertEqual(timedOut["error"] as? String, "ETIMEDOUT")
        let synsLeft = lines.last { $0["event"] as? String == "egress" && $0["cookie"] as? Int == timedOut["cookie"] as? Int }?["packets"] as? Int
        XCTAssertEqual(timedOut["syn_retransmits"] as? Int, synsLeft.map { $0 - 1 }, "every SYN after the first, as egress counted them")
        XCTAssertGreaterThan(timedOut["elapsed_ns"] as? Int ?? 0, 2_500_000_000)
        XCTAssertEqual(noRoute["error"] as? String, "ENETUNREACH")
        XCTAssertEqual(noRoute["icmp"] as? String, "ICMPv6 destination unreachable, code 0 (no route)")
        XCTAssertTrue((500_000_000..<2_000_000_000).contains(noRoute["elapsed_ns"] as? Int ?? 0), "at the first retransmission: \(noRoute)")
        XCTAssertEqual(abortedAfterICMP["error"] as? String, "ENETUNREACH", "the ICMP error had come before the program gave up")
        XCTAssertTrue(aborted["error"] is NSNull)
        for loser in [abortedAfterICMP, aborted] {
            XCTAssertEqual(loser["syn_retransmits"] as? Int, 0)
            let elapsed = loser["elapsed_ns"] as? Int ?? 0
            XCTAssertTrue((240_000_000..<900_000_000).contains(elapsed), "aborted after the 250 ms delay, not \(elapsed)")
        }
        let winners = OutcomeFixture.outcomes(lines).filter { $0["address"] as? String == v4 && $0["outcome"] as? String == "established" }
        XCTAssertEqual(winners.count, 3, result.stdout)
        XCTAssertEqual(noRoute["lesson"] as? String, TraceOutcomeText.unreachable)
        XCTAssertEqual(timedOut["lesson"] as? String, TraceOutcomeText.silentTimeout)
        let races = lines.filter { $0["event"] as? String == "race" }
        XCTAssertEqual(races.map { $0["winner"] as? String }, ["ipv4", "ipv4", "ipv4"], result.stdout)
        XCTAssertEqual(races.map { ($0["lessons"] as? [[String: Any]])?.compactMap { $0["lesson"] as? String } ?? [] },
                       [[], ["aborted-after-icmp"], ["attempt-timeout"]])
    }
}

extension TraceOutcomeTests {
    /// A client in a namespace of its own with no IPv6 route: its connect to an IPv6 address fails
    /// in connect() itself (ENETUNREACH), no SYN leaves, and the outcome says `failed` with the
    /// reason the route lookup in the client's namespace gives (sockdiag runs in the host's, which
    /// has an IPv6 default route). In a Happy Eyeballs race that family loses at once to IPv4.
    func testAConnectWithNoRouteFailsBeforeAnySYNAndLosesTheRace() throws {
        try requirePrivileges("a network namespace and the eBPF tracer")
        let scratch = try OutcomeFixture.Scratch(hostName: "he-noroute", addresses: [])
        let namespace = "sdtest-noroute-\(getpid())-\(UInt32.random(in: 0..<100_000))"
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["netns", "add", namespace]).status, 0)
        defer { _ = try? runProgram("/usr/sbin/ip", ["netns", "delete", namespace]) }
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["-n", namespace, "link", "set", "lo", "up"]).status, 0)
        let port = TraceFixture.port(22), nowhere = "fd18:ffff::2"
        let server = try OutcomeFixture.Server(scratch, ports: [port], ipv4Loopback: true, prefix: ["/usr/sbin/ip", "netns", "exec", namespace])
        defer { server.stop() }
        let connect = "connect/\(port)/\(nowhere)", race = "race/250/\(port)/\(nowhere)/127.0.0.1"
        // The client stays a moment: the reason is looked up in its namespace while it is there.
        let client = ["/usr/bin/nsenter", "--net=/run/netns/\(namespace)", OutcomeFixture.python3, scratch.path("he.py"), connect, race, "sleep/500"]
        let result = try Sockdiag.run(["trace", "--json", "--"] + client)
        XCTAssertEqual(OutcomeFixture.clientResult(connect, result.stderr), "ENETUNREACH", result.stderr)
        XCTAssertEqual(OutcomeFixture.clientResult(race, result.stderr), "127.0.0.1:62", result.stderr)
        let lines = result.jsonLines
        let failed = OutcomeFixture.outcomes(lines).filter { $0["address"] as? String == nowhere }
        XCTAssertEqual(failed.map { $0["outcome"] as? String }, ["failed", "failed"], result.stdout)
        let connects = lines.filter { $0["event"] as? String == "connect" && $0["address"] as? String == nowhere }
        XCTAssertEqual(failed.map { $0["cookie"] as? Int }, connects.map { $0["cookie"] as? Int })
        for outcome in failed {
            XCTAssertEqual(outcome["error"] as? String, "ENETUNREACH", "the route lookup in the client's namespace: \(outcome)")
            XCTAssertEqual(outcome["port"] as? Int, port)
            XCTAssertEqual(outcome["socket_family"] as? String, "inet6")
            XCTAssertEqual(outcome["syn_retransmits"] as? Int, 0)
            XCTAssertEqual(outcome["pid"] as? Int, connects.first?["pid"] as? Int)
            // Nothing left the socket: the egress hook never saw it.
            XCTAssertFalse(lines.contains { $0["event"] as? String == "egress" && $0["cookie"] as? Int == outcome["cookie"] as? Int }, result.stdout)
        }
        let races = lines.filter { $0["event"] as? String == "race" }
        XCTAssertEqual(races.count, 1, result.stdout)
        XCTAssertEqual(races.first?["winner"] as? String, "ipv4")
        XCTAssertEqual((races.first?["attempts"] as? [[String: Any]])?.map { $0["outcome"] as? String }, ["failed", "established"])
        XCTAssertTrue((races.first?["verdict"] as? String ?? "").hasPrefix("IPv4 won: IPv6 failed before any SYN left (ENETUNREACH: no route)"), "\(races)")
        XCTAssertEqual((lines.last?["outcomes"] as? [String: Int])?["failed"], 2)

        let text = try Sockdiag.run(["trace", "--"] + [client[0], client[1], client[2], client[3], connect, "sleep/500"])
        let row = text.stdout.split(separator: "\n").first { $0.contains(" failed ") }
        XCTAssertTrue(row?.contains("[\(nowhere)]:\(port)") == true && row?.hasSuffix("no SYN sent, no route, ENETUNREACH") == true, text.stdout)
    }
}

extension TraceOutcomeTests {
    /// A connect that reaches SYN_SENT and then fails in connect() without a SYN: with one local
    /// port in its namespace and that port taken to the same peer, the kernel sets SYN_SENT, finds
    /// no port (EADDRNOTAVAIL) and closes. The outcome is `failed`, once, never `aborted`: the
    /// state change to CLOSE alone does not make a connect attempt.
    func testAConnectWithNoFreeLocalPortFailsWithoutASYNAfterSYNSent() throws {
        try requirePrivileges("a network namespace and the eBPF tracer")
        let namespace = "sdtest-noport-\(getpid())-\(UInt32.random(in: 0..<100_000))"
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["netns", "add", namespace]).status, 0)
        defer { _ = try? runProgram("/usr/sbin/ip", ["netns", "delete", namespace]) }
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["-n", namespace, "link", "set", "lo", "up"]).status, 0)
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["netns", "exec", namespace, "sysctl", "-q", "-w",
                                                       "net.ipv4.ip_local_port_range=40000 40000"]).status, 0)
        let port = TraceFixture.port(26)
        let script = """
        import socket, sys
        listener = socket.socket(); listener.bind(("127.0.0.1", \(port))); listener.listen(8)
        first = socket.create_connection(("127.0.0.1", \(port)))
        second = socket.socket()
        try:
            second.connect(("127.0.0.1", \(port))); print("second: connected", file=sys.stderr)
        except OSError as e:
            print("second:", e.errno, file=sys.stderr)
        second.close()
        """
        let result = try Sockdiag.run(["trace", "--json", "--", "/usr/bin/nsenter", "--net=/run/netns/\(namespace)",
                                       OutcomeFixture.python3, "-c", script])
        XCTAssertTrue(result.stderr.contains("second: \(EADDRNOTAVAIL)\n"), "the kernel's answer: \(result.stderr)")
        let lines = result.jsonLines
        let connects = lines.filter { $0["event"] as? String == "connect" && $0["port"] as? Int == port }
        XCTAssertEqual(connects.count, 2, result.stdout)
        let outcomes = OutcomeFixture.outcomes(lines)
        func kinds(_ connect: [String: Any]) -> [String] {
            outcomes.filter { $0["cookie"] as? Int == connect["cookie"] as? Int }.compactMap { $0["outcome"] as? String }
        }
        XCTAssertEqual(kinds(connects[0]).first, "established", result.stdout)
        XCTAssertEqual(kinds(connects[1]), ["failed"], result.stdout)
        XCTAssertEqual((lines.last?["outcomes"] as? [String: Int])?["aborted"], 0, result.stdout)
    }
}

/// Lesson texts the tests look for, as docs/trace.md gives them.
enum TraceOutcomeText {
    static let unreachable = "an ICMP error ended this connect (no route, prohibited, rejected): the path says no at once, and Linux gives up at the first retransmission instead of the whole SYN timeout"
    static let silentTimeout = "no answer to any SYN: a firewall or blackhole drops them silently, and every client waits the whole SYN timeout (127 s by default) unless it races the other family"
}
