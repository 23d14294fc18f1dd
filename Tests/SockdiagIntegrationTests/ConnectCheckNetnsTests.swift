import Foundation
import XCTest

/// A destination that is not on this host: a server in a second namespace across a veth. The
/// report shows the route the kernel takes (interface, gateway, source address).
final class ConnectCheckNetnsTests: XCTestCase {
    var client = "", server = ""
    let subnet = "10.213.\(getpid() % 250)"

    func ip(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try runProgram("/usr/bin/env", ["ip"] + args)
        XCTAssertEqual(result.status, 0, "ip \(args.joined(separator: " ")): \(result.stderr)", file: file, line: line)
    }

    override func setUpWithError() throws {
        try requirePrivileges("network namespaces and veth pairs")
        client = "sdcc-a-\(getpid())"
        server = "sdcc-b-\(getpid())"
        for ns in [client, server] {
            _ = try runProgram("/usr/bin/env", ["ip", "netns", "del", ns])
            try ip(["netns", "add", ns])
            try ip(["-n", ns, "link", "set", "lo", "up"])
        }
        let a = "sdcca\(getpid() % 100000)", b = "sdccb\(getpid() % 100000)"
        try ip(["link", "add", a, "netns", client, "type", "veth", "peer", "name", b, "netns", server])
        try ip(["-n", client, "addr", "add", "\(subnet).1/24", "dev", a])
        try ip(["-n", server, "addr", "add", "\(subnet).2/24", "dev", b])
        try ip(["-n", client, "-6", "addr", "add", "fd7c:\(getpid() % 9999)::1/64", "dev", a, "nodad"])
        try ip(["-n", server, "-6", "addr", "add", "fd7c:\(getpid() % 9999)::2/64", "dev", b, "nodad"])
        try ip(["-n", client, "link", "set", a, "up"])
        try ip(["-n", server, "link", "set", b, "up"])
        try ip(["-n", client, "route", "add", "10.214.0.0/16", "via", "\(subnet).2"])
        veth = a
        peer = b
    }

    var veth = "", peer = ""

    override func tearDownWithError() throws {
        for ns in [client, server] where !ns.isEmpty {
            _ = try runProgram("/usr/bin/env", ["ip", "netns", "del", ns])
        }
    }

    func answer(_ doc: [String: Any]) -> [String: Any]? { (doc["answers"] as? [[String: Any]])?.first }

    func testRouteAndSourceOfANonLocalDestination() throws {
        let port = try BindCheckPorts.free(46730)
        let remote = try AcceptingServer(port: port, ["\(subnet).2"], prefix: ["ip", "netns", "exec", server])
        defer { remote.stop() }

        let direct = try Sockdiag.run(["connect-check", "--json", "--netns", client, "\(subnet).2", String(port)])
        let doc = try XCTUnwrap(direct.json as? [String: Any], direct.stderr)
        XCTAssertEqual(direct.status, 0, direct.stdout)
        XCTAssertEqual(doc["verdict"] as? String, "consistent")
        XCTAssertEqual(answer(doc)?["receiver"] as? String, "remote")
        let route = answer(doc)?["route"] as? [String: Any]
        XCTAssertEqual(route?["interface"] as? String, veth)
        XCTAssertEqual(route?["source"] as? String, "\(subnet).1")
        XCTAssertTrue(route?["gateway"] is NSNull, "\(route ?? [:])")
        XCTAssertEqual((doc["resolution"] as? [[String: Any]])?.first?["source"] as? [String: String], ["kind": "literal"])

        let routed = try Sockdiag.run(["connect-check", "--json", "--netns", client, "10.214.0.9", String(port)])
        let viaGateway = try XCTUnwrap(routed.json as? [String: Any], routed.stderr)
        let gatewayRoute = answer(viaGateway)?["route"] as? [String: Any]
        XCTAssertEqual(gatewayRoute?["gateway"] as? String, "\(subnet).2")
        XCTAssertEqual(gatewayRoute?["source"] as? String, "\(subnet).1")
        XCTAssertEqual(gatewayRoute?["interface"] as? String, veth)
        let text = try Sockdiag.run(["connect-check", "--netns", client, "10.214.0.9", String(port)])
        XCTAssertTrue(text.stdout.contains("remote via \(veth) gw \(subnet).2 src \(subnet).1"), text.stdout)

        // Nothing routes 198.51.100.0/24 in the client namespace: unreachable, no attempt succeeds.
        let nowhere = try Sockdiag.run(["connect-check", "--json", "--netns", client, "198.51.100.7", String(port)])
        let nowhereDoc = try XCTUnwrap(nowhere.json as? [String: Any], nowhere.stderr)
        XCTAssertEqual(answer(nowhereDoc)?["receiver"] as? String, "unreachable")
        XCTAssertEqual(nowhereDoc["verdict"] as? String, "nothing_reachable")
        XCTAssertEqual(nowhere.status, 1)

        // --probe really connects across the veth.
        let probed = try Sockdiag.run(["connect-check", "--json", "--probe", "--netns", client, "\(subnet).2", String(port)])
        let probedDoc = try XCTUnwrap(probed.json as? [String: Any], probed.stderr)
        let probe = answer(probedDoc)?["probe"] as? [String: Any]
        XCTAssertEqual(probe?["result"] as? String, "accepted", "\(probe ?? [:])")
        XCTAssertTrue((probe?["client"] as? String ?? "").hasPrefix("\(subnet).1:"), "\(probe ?? [:])")
    }

    /// A local client of an address that the veth holds is matched against the veth, not lo (as
    /// bind-check's lookup says): of two wildcard listeners bound to lo and to the veth, the veth's
    /// receives it, and the real connect under --probe agrees; 127.0.0.1 still reaches lo's.
    func testALocalAddressOfAnotherInterfaceIsMatchedAgainstThatInterface() throws {
        let port = try BindCheckPorts.free(46760)
        let exec = ["ip", "netns", "exec", client]
        let onLo = try AcceptingServer(port: port, ["0.0.0.0@lo"], prefix: exec)
        let onVeth = try AcceptingServer(port: port, ["0.0.0.0@\(veth)"], prefix: exec)
        defer { onLo.stop(); onVeth.stop() }
        for (address, holder) in [("\(subnet).1", onVeth), ("127.0.0.1", onLo)] {
            let run = try Sockdiag.run(["connect-check", "--json", "--probe", "--netns", client, address, String(port)])
            let doc = try XCTUnwrap(run.json as? [String: Any], run.stderr)
            let reached = try XCTUnwrap(answer(doc), run.stdout)
            XCTAssertEqual(reached["receiver"] as? String, "socket", "\(address): \(reached)")
            XCTAssertEqual(reached["pid"] as? Int, holder.pid, "\(address): \(reached)")
            let probe = reached["probe"] as? [String: Any]
            XCTAssertEqual(probe?["accepted_pid"] as? Int, holder.pid, "\(address): the kernel's choice \(probe ?? [:])")
            XCTAssertEqual(probe?["agrees"] as? Bool, true, "\(address): \(probe ?? [:])")
        }
    }

    /// A single listener bound to the veth (its device read from the sock_diag dump, no BPF
    /// iterator needed): local clients of 127.0.0.1 arrive on lo and are refused, clients of the
    /// veth's address reach it; --probe's real connects agree with both answers.
    func testASingleDeviceBoundListenerRefusesClientsOfOtherInterfaces() throws {
        let port = try BindCheckPorts.free(46790)
        let server = try AcceptingServer(port: port, ["0.0.0.0@\(veth)"], prefix: ["ip", "netns", "exec", client])
        defer { server.stop() }
        for (address, receiver) in [("\(subnet).1", "socket"), ("127.0.0.1", "refused")] {
            let run = try Sockdiag.run(["connect-check", "--json", "--probe", "--netns", client, address, String(port)])
            let doc = try XCTUnwrap(run.json as? [String: Any], run.stderr)
            let reached = try XCTUnwrap(answer(doc), run.stdout)
            XCTAssertEqual(reached["receiver"] as? String, receiver, "\(address): \(reached)")
            let probe = reached["probe"] as? [String: Any]
            XCTAssertEqual(probe?["result"] as? String, receiver == "socket" ? "accepted" : "refused", "\(address): \(probe ?? [:])")
            XCTAssertEqual(probe?["agrees"] as? Bool, true, "\(address): \(probe ?? [:])")
        }
    }

    /// A name from a private /etc/hosts, resolved inside the client namespace: both families
    /// leave through the veth, each with its own source address.
    func testANameResolvedInsideTheNamespace() throws {
        let six = "fd7c:\(getpid() % 9999)::2"
        let resolver = try PrivateResolver(hosts: "\(subnet).2 server.test\n\(six) server.test\n")
        let (_, doc) = try resolver.json(["--netns", client, "server.test", "9"])
        let answers = doc["answers"] as? [[String: Any]] ?? []
        XCTAssertEqual(answers.compactMap { $0["address"] as? String }, try resolver.run(["ip", "netns", "exec", client, "getent", "ahosts", "server.test"]).stdout
            .split(separator: "\n").filter { $0.contains("STREAM") }.map { String($0.split(separator: " ")[0]) })
        let sources = answers.compactMap { ($0["route"] as? [String: Any])?["source"] as? String }
        XCTAssertEqual(Set(sources), ["\(subnet).1", "fd7c:\(getpid() % 9999)::1"])
    }

    /// With no IPv6 address but ::1 (and no link-local one), AI_ADDRCONFIG drops the IPv6
    /// answers: glibc's order has IPv4 only, and the report says so; Python's list keeps ::1.
    func testAddrconfigDropsAFamilyWithoutAnAddress() throws {
        try ip(["-n", server, "-6", "addr", "flush", "dev", peer])
        let sysctl = try runProgram("/usr/bin/env", ["ip", "netns", "exec", server, "sysctl", "-qw", "net.ipv6.conf.\(peer).disable_ipv6=1"])
        XCTAssertEqual(sysctl.status, 0, sysctl.stderr)
        let resolver = try PrivateResolver(hosts: "::1 both.test\n127.0.0.1 both.test\n")
        let (_, doc) = try resolver.json(["--netns", server, "both.test", "9"])
        XCTAssertEqual(doc["addrconfig_dropped"] as? [String], ["inet6"])
        let order = (doc["resolution"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
        let glibc = try resolver.run(["ip", "netns", "exec", server, "getent", "ahosts", "both.test"]).stdout
            .split(separator: "\n").filter { $0.contains("STREAM") }.map { String($0.split(separator: " ")[0]) }
        // glibc's IPv4-only lookup reads the ::1 line as 127.0.0.1 too: it answers 127.0.0.1
        // twice, and connect-check lists each address once.
        XCTAssertEqual(glibc, ["127.0.0.1", "127.0.0.1"])
        XCTAssertEqual(order, ["127.0.0.1"])
        let python = (doc["clients"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "python_create_connection" }
        XCTAssertEqual(python?["list"] as? [String], ["::1", "127.0.0.1"])
        let text = try resolver.sockdiag(["connect-check", "--netns", server, "both.test", "9"])
        XCTAssertTrue(text.stdout.contains("AI_ADDRCONFIG dropped IPv6"), text.stdout)
    }
}
