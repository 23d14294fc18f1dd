import Foundation
import XCTest

/// bind-check's sentences name addresses as users write them, count what is many, and show the
/// queried address itself; each case is made with real sockets and checked against the kernel.
final class BindCheckWordingTests: XCTestCase {
    override func setUpWithError() throws { try requirePrivileges() }

    func json(_ args: [String]) throws -> [String: Any] {
        let result = try Sockdiag.run(["bind-check", "--json"] + args)
        return try XCTUnwrap(result.json as? [String: Any], result.stderr)
    }

    func whys(_ doc: [String: Any]) -> [String] {
        (doc["trials"] as? [[String: Any]] ?? []).flatMap { ($0["explanations"] as? [[String: Any]] ?? []).compactMap { $0["why"] as? String } }
    }

    func testSameAddressIsWrittenInBrackets() throws {
        let port = try BindCheckPorts.free(46410)
        let holder = try BindCheckHolder("::1", port)
        defer { holder.stop() }
        let doc = try json(["::1", String(port)])
        let trial = (doc["trials"] as? [[String: Any]])?.first { $0["reuseport"] as? Bool == false && $0["reuseaddr"] as? Bool == false && $0["v6only"] as? Bool == true }
        XCTAssertEqual(trial?["result"] as? String, "EADDRINUSE", "the kernel refuses a second [::1]:\(port)")
        XCTAssertTrue(whys(doc).contains { $0.hasPrefix("both claim [::1]:\(port)") }, "\(whys(doc))")
        XCTAssertFalse(whys(doc).contains { $0.contains("::1:\(port)") && !$0.contains("[::1]:\(port)") }, "\(whys(doc))")
    }

    func testIPv4WildcardAgainstDualStackNamesTheDualStackSocket() throws {
        let port = try BindCheckPorts.free(46411)
        let holder = try BindCheckHolder("::", port, v6only: false)
        defer { holder.stop() }
        let doc = try json(["0.0.0.0", String(port)])
        let plain = (doc["trials"] as? [[String: Any]])?.first { $0["reuseport"] as? Bool == false && $0["reuseaddr"] as? Bool == false }
        XCTAssertEqual(plain?["result"] as? String, "EADDRINUSE")
        let why = whys(doc)
        XCTAssertFalse(why.contains { $0.contains("including [::]") }, "\(why)")
        XCTAssertTrue(why.contains { $0.hasPrefix("[::]:\(port) is dual-stack (IPV6_V6ONLY=0), so it claims every IPv4 address") }, "\(why)")
    }

    /// `count` connections to 127.0.0.1:`port` whose server side closes first, so that its ends stay
    /// on the port as TIME-WAIT sockets of no process; then the listener closes.
    func leaveTimeWait(port: Int, count: Int, reuseaddr: Bool) throws {
        let listener = try BindCheckSourcesTests.Fixture()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var on: Int32 = 1
        if reuseaddr { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, 4) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(port).bigEndian
        sin.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        func address(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
            withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        XCTAssertEqual(address { bind(fd, $0, $1) }, 0)
        XCTAssertEqual(listen(fd, 16), 0)
        for _ in 0..<count {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            listener.fds.append(client)
            XCTAssertEqual(address { Glibc.connect(client, $0, $1) }, 0)
            close(accept(fd, nil, nil)) // the server side closes first: its end becomes TIME-WAIT
            var byte: UInt8 = 0
            _ = recv(client, &byte, 1, 0)
        }
        close(fd)
        usleep(100_000)
    }

    func testTimeWaitSocketsAreCountedNotListed() throws {
        let port = try BindCheckPorts.free(46412)
        let count = 6
        try leaveTimeWait(port: port, count: count, reuseaddr: false)
        let result = try Sockdiag.run(["bind-check", "127.0.0.1", String(port)])
        let timeWait = result.stdout.split(separator: "\n").filter { $0.hasPrefix("inet ") && $0.contains(" TIME-WAIT ") && $0.contains("127.0.0.1:\(port) ") }
        XCTAssertEqual(timeWait.count, count, result.stdout)
        let verdict = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.hasPrefix("Verdict") }.map(String.init))
        XCTAssertTrue(verdict.contains("fails with EADDRINUSE"), verdict)
        XCTAssertTrue(verdict.contains("\(count) TIME-WAIT sockets"), verdict)
        XCTAssertFalse(verdict.contains("inode 0"), verdict)
        XCTAssertLessThan(verdict.count, 200, verdict)
        XCTAssertTrue(result.stdout.contains("EADDRINUSE  \(count) TIME-WAIT"), result.stdout)
        XCTAssertTrue(result.stdout.contains("advice: wait: TIME-WAIT sockets go away within 60 s; a server that sets SO_REUSEADDR before bind() can rebind over its own at once"), result.stdout)

        // The advice, against the kernel: a listener that set SO_REUSEADDR leaves TIME-WAIT sockets
        // that a SO_REUSEADDR bind passes over, while a plain bind still fails.
        let reusing = try BindCheckPorts.free(46414)
        try leaveTimeWait(port: reusing, count: 2, reuseaddr: true)
        let doc = try json(["127.0.0.1", String(reusing)])
        let trials = doc["trials"] as? [[String: Any]] ?? []
        XCTAssertEqual(trials.first { $0["reuseaddr"] as? Bool == false && $0["reuseport"] as? Bool == false }?["result"] as? String, "EADDRINUSE")
        XCTAssertEqual(trials.first { $0["reuseaddr"] as? Bool == true }?["result"] as? String, "ok")
    }

    func testGluedPortSuggestsBrackets() throws {
        let result = try Sockdiag.run(["bind-check", "::1:80"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("[::1]:80"), result.stderr)
        XCTAssertFalse(result.stderr.contains("missing port after '::0.1.0.128'"), result.stderr)
    }

    /// `bind-check 127.0.0.2 P`: 127.0.0.2 is on lo (the whole 127/8 is), so it is a row of the
    /// table, and the row says what a client of 127.0.0.2 gets before and after the bind.
    func testQueriedAddressHasItsOwnRow() throws {
        let port = try BindCheckPorts.free(46413)
        let holder = try BindCheckHolder("127.0.0.1", port)
        let doc = try json(["127.0.0.2", String(port)])
        let rows = (doc["receivers"] as? [[String: Any]] ?? []).filter { $0["client_destination"] as? String == "127.0.0.2" }
        let now = rows.first { $0["scenario"] as? String == "existing" }
        let after = rows.first { $0["scenario"] as? String == "after_bind" }
        XCTAssertEqual(now?["receiver"] as? String, "refused")
        XCTAssertEqual(try KernelProbe.connect("127.0.0.2", port), "ECONNREFUSED")
        XCTAssertEqual(after?["receiver"] as? String, "new_socket")
        let mine = try BindCheckHolder("127.0.0.2", port)
        XCTAssertEqual(try KernelProbe.connect("127.0.0.2", port), "ok", "the only listener on 127.0.0.2 is the one just bound")
        mine.stop()
        holder.stop()
        let text = try Sockdiag.run(["bind-check", "127.0.0.2", String(port)])
        XCTAssertTrue(text.stdout.split(separator: "\n").contains { $0.hasPrefix("127.0.0.2 ") }, text.stdout)
    }
}
