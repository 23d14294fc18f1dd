import Foundation
import XCTest

/// The real Happy Eyeballs clients scripts/setup installs, curl and Node 20, resolving a name with
/// both families from a private /etc/hosts: on loopback, where ::1 refuses and 127.0.0.1 accepts, and
/// between two test namespaces, where the server's firewall drops IPv6 SYNs.
final class TraceOutcomeClientTests: XCTestCase {
    func clients(_ scratch: OutcomeFixture.Scratch, host: String, port: Int) -> [(name: String, command: [String])] {
        [("curl", ["/usr/bin/curl", "-sS", "--max-time", "10", "-o", "/dev/null", "http://\(host):\(port)/"]),
         ("node", ["/usr/bin/node", scratch.path("client.js"), host, String(port)])]
    }

    func testRefusedOnLoopbackIPv6ThenEstablishedOnIPv4() throws {
        try requirePrivileges()
        let scratch = try OutcomeFixture.Scratch(hostName: "he-loop", addresses: ["::1", "127.0.0.1"])
        let port = TraceFixture.port(23)
        let server = try OutcomeFixture.Server(scratch, ports: [port], ipv4Loopback: true)
        defer { server.stop() }
        for client in clients(scratch, host: "he-loop", port: port) {
            let command = OutcomeFixture.withPrivateHosts(scratch, [Sockdiag.executable.path, "trace", "--json", "--"] + client.command)
            let result = try runProgram(command[0], Array(command.dropFirst()))
            let summary = result.jsonLines.last?["command"] as? [String: Any]
            XCTAssertEqual(summary?["exit_status"] as? Int, 0, "\(client.name): \(result.stderr)")
            let refused = OutcomeFixture.outcome(result.jsonLines, address: "::1", port: port, kinds: ["refused"])
            XCTAssertEqual(refused?["comm"] as? String, client.name == "curl" ? "curl" : "node", "\(client.name): \(result.stdout)")
            XCTAssertEqual(refused?["error"] as? String, "ECONNREFUSED", client.name)
            let established = OutcomeFixture.outcome(result.jsonLines, address: "127.0.0.1", port: port, kinds: ["established"])
            XCTAssertNotNil(established, "\(client.name): \(result.stdout)")
            XCTAssertGreaterThan(established?["time_ns"] as? Int ?? 0, refused?["time_ns"] as? Int ?? .max, "\(client.name) falls back after the refusal")
            let ended = OutcomeFixture.outcome(result.jsonLines, address: "127.0.0.1", port: port, kinds: ["closed", "reset"])
            XCTAssertEqual(ended?["bytes_received"] as? Int, 62, "\(client.name) read the whole answer: \(result.stdout)")
            let race = result.jsonLines.first { $0["event"] as? String == "race" }
            XCTAssertEqual(race?["winner"] as? String, "ipv4", "\(client.name): \(result.stdout)")
            XCTAssertEqual((race?["listener"] as? [String: Any])?["pid"] as? Int, Int(server.process.processIdentifier), client.name)
        }
    }

    func testIPv6DroppedByAFirewallLosesTheRaceAtTheClientsDelay() throws {
        try requirePrivileges("network namespaces, nftables and the eBPF tracer")
        let net = try OutcomeFixture.Namespaces()
        let scratch = try OutcomeFixture.Scratch(hostName: "he-ns", addresses: [net.serverV6, net.serverV4])
        let dropped = 48_311
        try net.firewall(drop: dropped, reject: 48_312)
        let server = try OutcomeFixture.Server(scratch, ports: [dropped], prefix: ["/usr/sbin/ip", "netns", "exec", net.server])
        defer { server.stop() }
        // curl starts IPv4 200 ms after IPv6 (--happy-eyeballs-timeout-ms) and closes the loser once IPv4
        // is in; Node 20 aborts IPv6 after autoSelectFamilyAttemptTimeout (250 ms), then tries IPv4.
        for (client, delayMs) in zip(clients(scratch, host: "he-ns", port: dropped), [200, 250]) {
            let command = ["/usr/sbin/ip", "netns", "exec", net.client]
                + OutcomeFixture.withPrivateHosts(scratch, [Sockdiag.executable.path, "trace", "--json", "--"] + client.command)
            let result = try runProgram(command[0], Array(command.dropFirst()))
            XCTAssertEqual((result.jsonLines.last?["command"] as? [String: Any])?["exit_status"] as? Int, 0, "\(client.name): \(result.stderr)")
            let loser = OutcomeFixture.outcome(result.jsonLines, address: net.serverV6, port: dropped, kinds: ["aborted"])
            XCTAssertNotNil(loser, "\(client.name): \(result.stdout)")
            XCTAssertEqual(loser?["syn_retransmits"] as? Int, 0, client.name)
            let elapsed = loser?["elapsed_ns"] as? Int ?? 0
            XCTAssertTrue((delayMs * 1_000_000 - 10_000_000..<delayMs * 1_000_000 + 600_000_000).contains(elapsed),
                          "\(client.name) gave up on IPv6 after its \(delayMs) ms delay, not \(elapsed) ns")
            XCTAssertNotNil(OutcomeFixture.outcome(result.jsonLines, address: net.serverV4, port: dropped, kinds: ["established"]),
                            "\(client.name): \(result.stdout)")
            let race = result.jsonLines.first { $0["event"] as? String == "race" }
            XCTAssertEqual(race?["winner"] as? String, "ipv4", "\(client.name): \(result.stdout)")
            XCTAssertEqual((race?["lessons"] as? [[String: Any]])?.compactMap { $0["lesson"] as? String }, ["attempt-timeout"], client.name)
        }
    }
}
