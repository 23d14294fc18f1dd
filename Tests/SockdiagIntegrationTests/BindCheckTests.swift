import Foundation
import XCTest

/// A process holding one socket, made with perl (part of every Debian base system) so that the
/// holder is another process with its own pid, as in real conflicts.
final class BindCheckHolder {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    static let script = #"""
    use strict; use Socket qw(:all);
    my ($fam, $addr, $port, $proto, $v6only, $ra, $rp, $dev) = @ARGV;
    my $af = $fam == 6 ? AF_INET6 : AF_INET;
    socket(my $s, $af, $proto eq 'udp' ? SOCK_DGRAM : SOCK_STREAM, 0) or die "socket: $!";
    setsockopt($s, IPPROTO_IPV6, IPV6_V6ONLY, pack('i', $v6only)) or die "v6only: $!" if $fam == 6 && $v6only ne '-';
    setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1) or die if $ra;
    setsockopt($s, SOL_SOCKET, SO_REUSEPORT, 1) or die if $rp;
    setsockopt($s, SOL_SOCKET, 25, $dev) or die "device: $!" if $dev ne '-';
    my $sa = $fam == 6 ? pack_sockaddr_in6($port, inet_pton(AF_INET6, $addr)) : pack_sockaddr_in($port, inet_aton($addr));
    bind($s, $sa) or die "bind: $!";
    if ($proto eq 'tcp') { listen($s, 16) or die "listen: $!"; }
    $| = 1; print "ready $$\n";
    my $line = <STDIN>;
    """#

    /// `prefix` runs the holder through another command (`ip netns exec NAME`).
    init(_ address: String, _ port: Int, udp: Bool = false, v6only: Bool? = nil, reuseaddr: Bool = false,
         reuseport: Bool = false, device: String? = nil, prefix: [String] = []) throws {
        let family = address.contains(":") ? "6" : "4"
        let args = ["perl", "-e", BindCheckHolder.script, family, address, String(port), udp ? "udp" : "tcp",
                    v6only.map { $0 ? "1" : "0" } ?? "-", reuseaddr ? "1" : "0", reuseport ? "1" : "0", device ?? "-"]
        guard try process.startAndReadFirstLine(prefix + args, input: input, output: output).hasPrefix("ready") else {
            stop()
            throw HolderError(description: "holder for \(address):\(port) did not start (port busy?)")
        }
    }

    var pid: Int { Int(process.processIdentifier) }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}

struct HolderError: Error, CustomStringConvertible { let description: String }

/// Ports for the tests, in 46100-46999. They lie inside the default ephemeral range, so a client
/// socket of another test may hold one for a while: each test takes the first of its preferred
/// port, +100, +200, ... that nothing holds, TCP or UDP, in any state.
enum BindCheckPorts {
    static func free(_ preferred: Int) throws -> Int {
        var port = preferred
        while port <= 46999 {
            if isFree(port) { return port }
            port += 100
        }
        throw HolderError(description: "no free port from \(preferred) in steps of 100 up to 46999")
    }

    static func isFree(_ port: Int) -> Bool {
        for type in [Int32(SOCK_STREAM.rawValue), Int32(SOCK_DGRAM.rawValue)] {
            let fd = socket(AF_INET6, type, 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var zero: Int32 = 0
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, 4)
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            if bound != 0 { return false }
        }
        return true
    }
}

/// bind-check against real holders (ports 46100-46199; the benchmark uses 46000-46099).
final class BindCheckTests: XCTestCase {
    func json(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (CommandResult, [String: Any]) {
        let result = try Sockdiag.run(["bind-check", "--json"] + args)
        guard let object = result.json as? [String: Any] else {
            XCTFail("no JSON from \(args): \(result.stderr)\(result.stdout)", file: file, line: line)
            throw XCTSkip("no JSON")
        }
        return (result, object)
    }

    func trial(_ doc: [String: Any], v6only: Bool?, reuseaddr: Bool = false, reuseport: Bool = false) -> [String: Any]? {
        (doc["trials"] as? [[String: Any]])?.first {
            ($0["v6only"] as? Bool) == v6only && ($0["reuseaddr"] as? Bool) == reuseaddr && ($0["reuseport"] as? Bool) == reuseport
        }
    }

    func receiver(_ doc: [String: Any], _ scenario: String, _ destination: String) -> [String: Any]? {
        (doc["receivers"] as? [[String: Any]])?.first { $0["scenario"] as? String == scenario && $0["client_destination"] as? String == destination }
    }

    func sockets(_ doc: [String: Any]) -> [[String: Any]] { doc["sockets"] as? [[String: Any]] ?? [] }

    func testIPv4HolderMakesTheDualStackTrialFailAndIsNamedWithItsPid() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46101)
        let holder = try BindCheckHolder("127.0.0.1", p)
        defer { holder.stop() }
        let (result, doc) = try json(["::", String(p)])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(doc["source"] as? String, "netlink")
        let held = try XCTUnwrap(sockets(doc).first { $0["state"] as? String == "LISTEN" })
        XCTAssertEqual(held["local_address"] as? String, "127.0.0.1")
        let owners = held["owners"] as? [[String: Any]] ?? []
        XCTAssertEqual(owners.first?["pid"] as? Int, holder.pid)
        XCTAssertEqual(owners.first?["comm"] as? String, "perl")
        let inode = try XCTUnwrap(held["inode"] as? Int)
        let dual = try XCTUnwrap(trial(doc, v6only: false))
        XCTAssertEqual(dual["result"] as? String, "EADDRINUSE")
        XCTAssertEqual(dual["conflicts"] as? [Int], [inode])
        XCTAssertEqual(trial(doc, v6only: true)?["result"] as? String, "ok", "V6ONLY leaves 127.0.0.1 alone")
        // The Spotify story: with V6ONLY=1 the bind works and IPv4 clients still reach the holder.
        XCTAssertEqual(receiver(doc, "after_bind_v6only_1", "127.0.0.1")?["pid"] as? Int, holder.pid)
        XCTAssertEqual(receiver(doc, "after_bind_v6only_1", "::1")?["receiver"] as? String, "new_socket")
        XCTAssertEqual(receiver(doc, "after_bind_v6only_0", "127.0.0.1")?["receiver"] as? String, "bind_fails")
        XCTAssertTrue((doc["verdict"] as? String ?? "").contains("EADDRINUSE"))
        XCTAssertTrue((doc["verdict"] as? String ?? "").contains("pid \(holder.pid)"))

        let text = try Sockdiag.run(["bind-check", "::", String(p)])
        XCTAssertEqual(text.status, 1)
        XCTAssertTrue(text.stdout.contains("perl (pid \(holder.pid))"), text.stdout)
        XCTAssertTrue(text.stdout.contains("Verdict (Linux "), text.stdout)
        XCTAssertTrue(text.stdout.contains("): Binding [::]:\(p)"), text.stdout)
        let findings = (doc["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(findings.contains { $0.hasPrefix("On macOS") && $0.contains("pid \(holder.pid)") }, "\(findings)")
        XCTAssertTrue(findings.contains { $0.contains("On Windows, where IPV6_V6ONLY starts on, [::]:\(p) binds beside it") }, "\(findings)")
        XCTAssertFalse((doc["kernel"] as? String ?? "").isEmpty)
    }

    func testV6onlyHolderLeavesIPv4FreeAndRefusesIPv4Clients() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46102)
        let holder = try BindCheckHolder("::", p, v6only: true)
        defer { holder.stop() }
        let (result, doc) = try json(["0.0.0.0", String(p)])
        XCTAssertEqual(result.status, 1, "IPv4 clients of the port are refused today")
        let held = try XCTUnwrap(sockets(doc).first)
        XCTAssertEqual(held["v6only"] as? Bool, true)
        XCTAssertEqual(trial(doc, v6only: nil)?["result"] as? String, "ok")
        XCTAssertEqual(receiver(doc, "existing", "127.0.0.1")?["receiver"] as? String, "refused")
        XCTAssertEqual(receiver(doc, "existing", "::1")?["pid"] as? Int, holder.pid)
        XCTAssertEqual(receiver(doc, "after_bind", "127.0.0.1")?["receiver"] as? String, "new_socket")
        XCTAssertEqual(receiver(doc, "after_bind", "::ffff:127.0.0.1")?["receiver"] as? String, "new_socket")
        let findings = (doc["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(findings.contains { $0.contains("IPv4 clients of port \(p) are refused") }, "\(findings)")

        let (_, v6doc) = try json(["::", String(p)])
        XCTAssertEqual(trial(v6doc, v6only: true)?["result"] as? String, "EADDRINUSE", "two [::] sockets overlap whatever V6ONLY")
        XCTAssertEqual(trial(v6doc, v6only: false)?["result"] as? String, "EADDRINUSE")
    }

    func testReuseportPairSharesClientsAndAdmitsAThirdSocket() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46103)
        let first = try BindCheckHolder("127.0.0.1", p, reuseport: true)
        let second = try BindCheckHolder("127.0.0.1", p, reuseport: true)
        defer { first.stop(); second.stop() }
        let (result, doc) = try json(["127.0.0.1", String(p)])
        XCTAssertEqual(result.status, 1, "a plain bind fails")
        XCTAssertEqual(sockets(doc).count, 2)
        let now = try XCTUnwrap(receiver(doc, "existing", "127.0.0.1"))
        XCTAssertEqual(now["receiver"] as? String, "one_of")
        let pids = Set((now["one_of"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int })
        XCTAssertEqual(pids, [first.pid, second.pid])
        XCTAssertEqual(trial(doc, v6only: nil)?["result"] as? String, "EADDRINUSE")
        XCTAssertEqual((trial(doc, v6only: nil)?["conflicts"] as? [Int])?.count, 2)
        let reuseport = try XCTUnwrap(trial(doc, v6only: nil, reuseport: true))
        XCTAssertEqual(reuseport["result"] as? String, "ok", "same uid, every socket set SO_REUSEPORT")
        XCTAssertTrue((reuseport["notes"] as? [String] ?? []).allSatisfy { $0.contains("must have set SO_REUSEPORT") })
        XCTAssertEqual(trial(doc, v6only: nil, reuseaddr: true)?["result"] as? String, "EADDRINUSE")
    }

    /// A successful SO_REUSEPORT trial must not make the next run's trials succeed where they
    /// conflict (the kernel's bind bucket remembers the last SO_REUSEPORT socket's address).
    func testTrialsDoNotChangeTheNextRunsResults() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46107)
        let holder = try BindCheckHolder("127.0.0.1", p)
        defer { holder.stop() }
        for run in 1...3 {
            let (_, doc) = try json(["::", String(p)])
            XCTAssertEqual(trial(doc, v6only: false, reuseport: true)?["result"] as? String, "EADDRINUSE", "run \(run)")
            XCTAssertEqual(trial(doc, v6only: true, reuseport: true)?["result"] as? String, "ok", "run \(run)")
        }
    }

    func testUDPHolder() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46104)
        let holder = try BindCheckHolder("127.0.0.1", p, udp: true)
        defer { holder.stop() }
        let (result, doc) = try json(["--udp", "::", String(p)])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual((doc["query"] as? [String: Any])?["protocol"] as? String, "udp")
        let held = try XCTUnwrap(sockets(doc).first)
        XCTAssertEqual(held["protocol"] as? String, "udp")
        XCTAssertEqual(held["state"] as? String, "UNCONN")
        XCTAssertEqual(trial(doc, v6only: false)?["result"] as? String, "EADDRINUSE")
        XCTAssertEqual(trial(doc, v6only: true)?["result"] as? String, "ok")
        XCTAssertEqual(receiver(doc, "existing", "127.0.0.1")?["pid"] as? Int, holder.pid)
        let (tcpResult, tcpDoc) = try json(["::", String(p)])
        XCTAssertEqual(tcpResult.status, 0, "a UDP socket does not hold the TCP port")
        XCTAssertTrue(sockets(tcpDoc).isEmpty)
    }

    func testPortZeroGetsAnEphemeralPortAndNamesIPv4HeldPortsInTheRange() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46105)
        let holder = try BindCheckHolder("127.0.0.1", p)
        defer { holder.stop() }
        let (_, doc) = try json(["::", "0"])
        let range = try XCTUnwrap((doc["system"] as? [String: Any])?["ephemeral_range"] as? [Int])
        XCTAssertEqual(range.count, 2)
        for v6only in [false, true] {
            let t = try XCTUnwrap(trial(doc, v6only: v6only))
            XCTAssertEqual(t["result"] as? String, "ok")
            let port = try XCTUnwrap(t["bound_port"] as? Int)
            XCTAssertTrue(range[0] <= port && port <= range[1], "\(port) outside \(range)")
        }
        guard range[0] <= p && p <= range[1] else { return }
        XCTAssertTrue(sockets(doc).contains { $0["local_port"] as? Int == p })
        let messages = (doc["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(messages.contains { $0.contains(String(p)) && $0.contains("IPV6_V6ONLY=1") }, "\(messages)")
    }

    func testAllFindsThePortSplitBetweenTwoProcesses() throws {
        try requirePrivileges()
        let p = try BindCheckPorts.free(46106)
        let ipv4 = try BindCheckHolder("127.0.0.1", p)
        let ipv6 = try BindCheckHolder("::", p, v6only: true)
        defer { ipv4.stop(); ipv6.stop() }
        let (result, doc) = try json(["--all"])
        XCTAssertEqual(result.status, 1)
        let ports = doc["ports"] as? [[String: Any]] ?? []
        let port = try XCTUnwrap(ports.first { $0["port"] as? Int == p })
        let findings = (port["findings"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        XCTAssertTrue(findings.contains { $0.contains("split") && $0.contains("pid \(ipv4.pid)") && $0.contains("pid \(ipv6.pid)") }, "\(findings)")
        let text = try Sockdiag.run(["bind-check", "--all"])
        XCTAssertTrue(text.stdout.contains(String(p)), text.stdout)
    }

    func testBadInputExitsTwoWithOneLine() throws {
        let cases: [([String], String)] = [
            (["::", "70000"], "65535"),
            (["1.2.3", "80"], "1.2.3"),
            (["::"], "missing port"),
            (["127.0.0.1"], "missing port"),
            (["[::1]:99999"], "99999"),
            (["--tcp", "--udp", "::", "80"], "--udp"),
            (["--all", "::", "80"], "--all"),
            (["--netns", "sdtest-bind-does-not-exist", "::", "80"], "sdtest-bind-does-not-exist"),
            (["--netns", "/tmp", "::", "80"], "not a network namespace"),
        ]
        for (args, needle) in cases {
            let result = try Sockdiag.run(["bind-check"] + args)
            XCTAssertEqual(result.status, 2, "\(args): \(result.stdout)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(args): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("sockdiag: "), result.stderr)
            XCTAssertTrue(result.stderr.contains(needle), "\(args): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty)
        }
    }
}
