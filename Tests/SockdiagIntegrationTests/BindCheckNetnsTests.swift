import Foundation
import XCTest

/// `--netns`: the same report from inside a network namespace the test creates.
final class BindCheckNetnsTests: XCTestCase {
    var namespace = ""

    override func setUpWithError() throws {
        try requirePrivileges()
        namespace = "sdtest-bind-\(getpid())"
        _ = try runProgram("/usr/bin/env", ["ip", "netns", "del", namespace])
        let added = try runProgram("/usr/bin/env", ["ip", "netns", "add", namespace])
        XCTAssertEqual(added.status, 0, added.stderr)
        let up = try runProgram("/usr/bin/env", ["ip", "-n", namespace, "link", "set", "lo", "up"])
        XCTAssertEqual(up.status, 0, up.stderr)
    }

    override func tearDownWithError() throws {
        guard !namespace.isEmpty else { return }
        let deleted = try runProgram("/usr/bin/env", ["ip", "netns", "del", namespace])
        XCTAssertEqual(deleted.status, 0, deleted.stderr)
    }

    func testHolderInsideANamespaceIsSeenOnlyThere() throws {
        let holder = try BindCheckHolder("127.0.0.1", 46130, prefix: ["ip", "netns", "exec", namespace])
        defer { holder.stop() }
        for target in [namespace, "/run/netns/\(namespace)"] {
            let inside = try Sockdiag.run(["bind-check", "--json", "--netns", target, "::", "46130"])
            XCTAssertEqual(inside.status, 1, inside.stderr)
            let doc = try XCTUnwrap(inside.json as? [String: Any])
            XCTAssertEqual(doc["netns"] as? String, target)
            let sockets = doc["sockets"] as? [[String: Any]] ?? []
            XCTAssertEqual(sockets.count, 1)
            XCTAssertEqual((sockets.first?["owners"] as? [[String: Any]])?.first?["pid"] as? Int, holder.pid)
            let dual = (doc["trials"] as? [[String: Any]] ?? []).first { $0["v6only"] as? Bool == false && $0["reuseaddr"] as? Bool == false && $0["reuseport"] as? Bool == false }
            XCTAssertEqual(dual?["result"] as? String, "EADDRINUSE")
            // The namespace has only lo: its addresses are the destinations.
            let addresses = (doc["system"] as? [String: Any])?["ipv4_addresses"] as? [String]
            XCTAssertEqual(addresses, ["127.0.0.1"])
        }
        let host = try Sockdiag.run(["bind-check", "--json", "::", "46130"])
        let hostDoc = try XCTUnwrap(host.json as? [String: Any])
        XCTAssertEqual((hostDoc["sockets"] as? [Any])?.count, 0, "the holder is not on the host's port")
        XCTAssertEqual(host.status, 0)

        let all = try Sockdiag.run(["bind-check", "--all", "--netns", namespace])
        XCTAssertTrue(all.stdout.contains("46130"), all.stdout)
        XCTAssertTrue(all.stdout.contains("perl (pid \(holder.pid))"), all.stdout)
    }

    func testAllNetnsFindsAHolderThatPlainAllDoesNot() throws {
        let holder = try BindCheckHolder("127.0.0.1", 46131, prefix: ["ip", "netns", "exec", namespace])
        defer { holder.stop() }
        let walk = try Sockdiag.run(["bind-check", "--all", "--all-netns", "--json"])
        let doc = try XCTUnwrap(walk.json as? [String: Any], walk.stderr)
        let namespaces = doc["namespaces"] as? [[String: Any]] ?? []
        XCTAssertGreaterThanOrEqual(namespaces.count, 2)
        let ours = try XCTUnwrap(namespaces.first { ($0["netns"] as? String ?? "").contains(namespace) }, "\(namespaces.map { $0["netns"] ?? "" })")
        let port = (ours["ports"] as? [[String: Any]] ?? []).first { $0["port"] as? Int == 46131 }
        let owner = ((port?["sockets"] as? [[String: Any]])?.first?["owners"] as? [[String: Any]])?.first?["pid"] as? Int
        XCTAssertEqual(owner, holder.pid)
        let others = namespaces.filter { !($0["netns"] as? String ?? "").contains(namespace) }
        XCTAssertFalse(others.contains { ($0["ports"] as? [[String: Any]] ?? []).contains { $0["port"] as? Int == 46131 } })

        let plain = try Sockdiag.run(["bind-check", "--all", "--json"])
        let ports = ((plain.json as? [String: Any])?["ports"] as? [[String: Any]]) ?? []
        XCTAssertFalse(ports.contains { $0["port"] as? Int == 46131 }, "a plain --all stays in its own namespace")

        let misuse = try Sockdiag.run(["bind-check", "--all-netns", "::", "80"])
        XCTAssertEqual(misuse.status, 2)
        XCTAssertTrue(misuse.stderr.contains("--all-netns goes with --all"), misuse.stderr)
    }
}
