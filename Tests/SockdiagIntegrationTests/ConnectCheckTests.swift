import Foundation
import XCTest

/// connect-check against real servers, real clients (node, curl, python3) and glibc's own
/// resolver, each under a private /etc/hosts and /etc/gai.conf (ports 46700-46799 and up).
final class ConnectCheckTests: XCTestCase {
    static let localhostIPv6First = "127.0.0.1 localhost\n::1 localhost\n"

    override func setUpWithError() throws { try requirePrivileges("mount namespaces (unshare -m) and bind mounts") }

    func clients(_ doc: [String: Any]) -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: (doc["clients"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0) })
    }

    func attempts(_ client: [String: Any]?) -> [String] {
        (client?["attempts"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String }
    }

    func reached(_ client: [String: Any]?) -> (address: String?, pid: Int?) {
        let reaches = client?["reaches"] as? [String: Any]
        return (reaches?["address"] as? String, reaches?["pid"] as? Int)
    }

    func answers(_ doc: [String: Any]) -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: (doc["answers"] as? [[String: Any]] ?? []).map { ($0["address"] as? String ?? "", $0) })
    }

    func order(_ doc: [String: Any]) -> [String] { (doc["resolution"] as? [[String: Any]] ?? []).compactMap { $0["address"] as? String } }

    /// The model row of the curl on this machine: localhost answers changed order in 8.2.1.
    func curlClientName() throws -> String {
        let version = try runProgram("/usr/bin/env", ["curl", "--version"]).stdout.split(separator: " ").dropFirst().first ?? ""
        let parts = version.split(separator: ".").compactMap { Int($0) }
        return parts.lexicographicallyPrecedes([8, 2, 1]) ? "curl_before_8_2_1" : "curl"
    }

    func bugFindings(_ doc: [String: Any]) -> [String] {
        (doc["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }.filter { $0.contains("bug in sockdiag") }
    }

    /// A server on 127.0.0.1:P only, and localhost answering ::1 first: Node 17-19 is refused,
    /// the others fall back to 127.0.0.1; node, curl and python3 do what connect-check says.
    func testNode17Story() throws {
        let port = try BindCheckPorts.free(46700)
        let server = try AcceptingServer(port: port, ["127.0.0.1"])
        defer { server.stop() }
        let resolver = try PrivateResolver(hosts: Self.localhostIPv6First)
        let (result, doc) = try resolver.json(["localhost", String(port)])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(doc["verdict"] as? String, "first_choice_refused")
        XCTAssertEqual(order(doc), ["::1", "127.0.0.1"])
        XCTAssertEqual(order(doc), try resolver.getentOrder("localhost"), "glibc's own order")
        let resolution = doc["resolution"] as? [[String: Any]] ?? []
        XCTAssertEqual((resolution.first?["source"] as? [String: Any])?["line"] as? Int, 2)
        XCTAssertEqual(resolution.first?["rule"] as? Int, 6)
        XCTAssertEqual(answers(doc)["::1"]?["receiver"] as? String, "refused")
        XCTAssertEqual(answers(doc)["127.0.0.1"]?["pid"] as? Int, server.pid)
        XCTAssertTrue(bugFindings(doc).isEmpty, "\(bugFindings(doc))")

        let model = clients(doc)
        // Node 17-19: the first address only.
        XCTAssertEqual(attempts(model["node_17_19"]), ["::1"])
        XCTAssertNil(reached(model["node_17_19"]).address)
        let node17 = try resolver.node("localhost", port, autoSelectFamily: false)
        XCTAssertEqual(node17["error"] as? String, "ECONNREFUSED")
        XCTAssertEqual(node17["address"] as? String, "::1")
        // Node 20+: Happy Eyeballs, ::1 refused, then 127.0.0.1.
        XCTAssertEqual(attempts(model["node_20"]), ["::1", "127.0.0.1"])
        XCTAssertEqual(reached(model["node_20"]).pid, server.pid)
        let node20 = try resolver.node("localhost", port, autoSelectFamily: true)
        XCTAssertEqual(node20["remote"] as? String, "127.0.0.1")
        XCTAssertEqual(node20["attempted"] as? [String], attempts(model["node_20"]).map { "\($0.contains(":") ? $0 : $0):\(port)" })
        // Sequential (Python create_connection): falls back after the refusal.
        XCTAssertEqual(attempts(model["python_create_connection"]), ["::1", "127.0.0.1"])
        XCTAssertEqual(try resolver.python("localhost", port), "127.0.0.1")
        // curl answers localhost itself: 127.0.0.1 first up to 8.2.0 (Debian 12 has 7.88).
        let curlModel = model[try curlClientName()]
        let curl = try resolver.curl("localhost", port)
        XCTAssertEqual(curl.tried, attempts(curlModel))
        XCTAssertEqual(curl.connected, "127.0.0.1")
        // The same name without curl's special case: curl then tries ::1 first, as modelled.
        let other = try PrivateResolver(hosts: "127.0.0.1 app.test\n::1 app.test\n")
        let (_, appDoc) = try other.json(["app.test", String(port)])
        let appCurl = try other.curl("app.test", port)
        XCTAssertEqual(appCurl.tried, attempts(clients(appDoc)[try curlClientName()]))
        XCTAssertEqual(appCurl.tried, ["::1", "127.0.0.1"])
        XCTAssertEqual(appCurl.connected, "127.0.0.1")

        let text = try resolver.sockdiag(["connect-check", "localhost", String(port)])
        XCTAssertTrue(text.stdout.contains("Node 17-19 (first address only)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("/etc/hosts:2"), text.stdout)
    }

    /// X on 127.0.0.1:P, Y on [::]:P (V6ONLY): localhost reaches Y for clients that try ::1
    /// first and X for the others; --probe confirms each address by the accepted socket.
    func testSpotifyStoryFromTheClientSideWithProbe() throws {
        let port = try BindCheckPorts.free(46710)
        let x = try AcceptingServer(port: port, ["127.0.0.1"])
        defer { x.stop() }
        let y = try AcceptingServer(port: port, ["::/1"])
        defer { y.stop() }
        let resolver = try PrivateResolver(hosts: Self.localhostIPv6First)
        let (result, doc) = try resolver.json(["--probe", "localhost", String(port)])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(doc["verdict"] as? String, "split")
        let byAddress = answers(doc)
        XCTAssertEqual(byAddress["::1"]?["pid"] as? Int, y.pid)
        XCTAssertEqual(byAddress["127.0.0.1"]?["pid"] as? Int, x.pid)
        for (address, owner) in [("::1", y.pid), ("127.0.0.1", x.pid)] {
            let probe = byAddress[address]?["probe"] as? [String: Any]
            XCTAssertEqual(probe?["result"] as? String, "accepted", "\(address)")
            XCTAssertEqual(probe?["accepted_pid"] as? Int, owner, "\(address): \(probe ?? [:])")
            XCTAssertEqual(probe?["agrees"] as? Bool, true, "\(address)")
        }
        let model = clients(doc)
        XCTAssertEqual(reached(model["node_20"]).pid, y.pid)
        XCTAssertEqual(reached(model["java"]).pid, x.pid)
        XCTAssertEqual(reached(model["java"]).address, "::ffff:127.0.0.1")
        XCTAssertEqual(reached(model["curl"]).pid, y.pid, "curl 8.2.1+ tries ::1 first")
        XCTAssertEqual(reached(model["curl_before_8_2_1"]).pid, x.pid)
        XCTAssertEqual(try resolver.node("localhost", port, autoSelectFamily: true)["remote"] as? String, "::1")
        let realCurl = reached(model[try curlClientName()]).address
        XCTAssertEqual(try resolver.curl("localhost", port).connected, realCurl)
        XCTAssertTrue(bugFindings(doc).isEmpty, "\(bugFindings(doc))")
    }

    /// Java: one address, IPv4 first unless java.net.preferIPv6Addresses, no fallback.
    func testJavaClients() throws {
        let port = try BindCheckPorts.free(46740)
        let server = try AcceptingServer(port: port, ["127.0.0.1"])
        defer { server.stop() }
        let resolver = try PrivateResolver(hosts: "::1 app.test\n127.0.0.1 app.test\n")
        let (_, doc) = try resolver.json(["app.test", String(port)])
        let model = clients(doc)
        XCTAssertEqual(attempts(model["java"]), ["::ffff:127.0.0.1"])
        XCTAssertEqual(reached(model["java"]).pid, server.pid)
        XCTAssertEqual(try resolver.java("app.test", port), "127.0.0.1")
        XCTAssertEqual(attempts(model["java_prefer_ipv6"]), ["::1"])
        XCTAssertNil(reached(model["java_prefer_ipv6"]).address)
        XCTAssertEqual(try resolver.java("app.test", port, properties: ["-Djava.net.preferIPv6Addresses=true"]), "error ConnectException")
    }

    /// gai.conf preferring IPv4: glibc's order flips, and with it Node 17-19's outcome.
    func testGaiConfPreferringIPv4() throws {
        let port = try BindCheckPorts.free(46720)
        let server = try AcceptingServer(port: port, ["127.0.0.1"])
        defer { server.stop() }
        let resolver = try PrivateResolver(hosts: Self.localhostIPv6First, gaiConf: "precedence ::ffff:0:0/96 100\n")
        let (result, doc) = try resolver.json(["localhost", String(port)])
        XCTAssertEqual(order(doc), ["127.0.0.1", "::1"])
        XCTAssertEqual(order(doc), try resolver.getentOrder("localhost"))
        let first = (doc["resolution"] as? [[String: Any]])?.first
        XCTAssertEqual(first?["precedence"] as? Int, 100)
        XCTAssertEqual(first?["rule"] as? Int, 6)
        XCTAssertEqual((doc["policy"] as? [String: Any])?["source"] as? String, "/etc/gai.conf")
        let model = clients(doc)
        XCTAssertEqual(attempts(model["node_17_19"]), ["127.0.0.1"])
        XCTAssertEqual(reached(model["node_17_19"]).pid, server.pid)
        XCTAssertEqual(try resolver.node("localhost", port, autoSelectFamily: false)["remote"] as? String, "127.0.0.1")
        XCTAssertEqual(attempts(model["glibc_sequential"]), ["127.0.0.1"])
        // Java with preferIPv6Addresses still tries ::1 alone: the verdict stays a refusal.
        XCTAssertEqual(doc["verdict"] as? String, "first_choice_refused")
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(bugFindings(doc).isEmpty, "\(bugFindings(doc))")
    }

    /// glibc's sort replayed by sockdiag gives glibc's order, over gai.conf tables that change
    /// which rule decides (the differential check of the resolution section).
    func testResolutionOrderMatchesGlibcAcrossGaiConfs() throws {
        let hosts = "192.0.2.10 many.test\n2001:db8::10 many.test\n127.0.0.1 many.test\n::1 many.test\nfd00:5::1 many.test\n10.255.0.1 many.test\n"
        let confs = ["", "precedence ::ffff:0:0/96 100\n", "label ::1/128 9\n", "precedence ::1/128 5\nprecedence ::/0 7\n",
                     "scopev4 ::ffff:127.0.0.0/104 14\n", "precedence 2001:db8::/32 60\nlabel ::ffff:0:0/96 4\n"]
        for conf in confs {
            let resolver = try PrivateResolver(hosts: hosts, gaiConf: conf)
            let (_, doc) = try resolver.json(["many.test", "9"])
            XCTAssertEqual(order(doc), try resolver.getentOrder("many.test"), "gai.conf: \(conf)")
            XCTAssertTrue(bugFindings(doc).isEmpty, "gai.conf \(conf): \(bugFindings(doc))")
        }
    }

    func testBadInput() throws {
        let resolver = try PrivateResolver(hosts: Self.localhostIPv6First)
        let unresolvable = try resolver.sockdiag(["connect-check", "nosuch.invalid", "80"])
        XCTAssertEqual(unresolvable.status, 2)
        XCTAssertEqual(unresolvable.stderr, "sockdiag: connect-check: cannot resolve 'nosuch.invalid': Name or service not known (EAI_NONAME)\n")
        XCTAssertEqual(unresolvable.stdout, "")
        for (args, message) in [(["localhost", "70000"], "'70000' is not a port"), (["", "80"], "the host name is empty"),
                                (["localhost:0"], "port 0 cannot be connected to"), (["localhost"], "missing port")] {
            let result = try Sockdiag.run(["connect-check"] + args)
            XCTAssertEqual(result.status, 2, "\(args)")
            XCTAssertTrue(result.stderr.hasPrefix("sockdiag: connect-check: "), result.stderr)
            XCTAssertTrue(result.stderr.contains(message), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }
}
