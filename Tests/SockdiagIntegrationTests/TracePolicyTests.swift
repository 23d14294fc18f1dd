import Foundation
import XCTest

/// `trace --redirect / --block-ipv6 / --naive`: the story's DNS redirect and IPv6 block, right for
/// dual-mode sockets, and the naive version failing on the same client.
final class TracePolicyTests: XCTestCase {
    /// A "DNS proxy" on 127.0.0.1:PROXY (UDP answers `answer:QUERY`, TCP records what arrives) and a
    /// plain TCP listener on [::1]:NATIVE, outside any test cgroup, logging to a file.
    final class Proxy {
        let process: Process
        let log: String
        let port: Int
        let nativePort: Int

        init() throws {
            port = TraceFixture.port(6)
            nativePort = TraceFixture.port(7)
            log = NSTemporaryDirectory() + "sockdiag-trace-proxy-\(getpid())-\(port).log"
            let script = """
            import socket, sys, threading, time
            log = open(sys.argv[1], "w", buffering=1)
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", \(port)))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            tcp.bind(("127.0.0.1", \(port))); tcp.listen(16)
            native = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); native.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            native.bind(("::1", \(nativePort))); native.listen(16)
            udp6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); udp6.bind(("::1", \(nativePort)))
            def answer():
                while True:
                    data, peer = udp.recvfrom(512); log.write("udp %s\\n" % data.decode()); udp.sendto(b"answer:" + data, peer)
            def accept(listener, kind):
                while True:
                    c, _ = listener.accept(); data = c.recv(512); log.write("%s %s\\n" % (kind, data.decode())); c.close()
            def answer6():
                while True:
                    data, peer = udp6.recvfrom(512); log.write("udp6 %s\\n" % data.decode()); udp6.sendto(b"answer6:" + data, peer)
            threading.Thread(target=answer, daemon=True).start()
            threading.Thread(target=answer6, daemon=True).start()
            threading.Thread(target=accept, args=(tcp, "tcp"), daemon=True).start()
            threading.Thread(target=accept, args=(native, "native"), daemon=True).start()
            print("ready", flush=True)
            time.sleep(120)
            """
            let started = Process()
            started.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            started.arguments = ["python3", "-c", script, log]
            let out = Pipe()
            started.standardOutput = out
            try started.run()
            process = started
            let line = out.fileHandleForReading.availableData
            guard String(decoding: line, as: UTF8.self).contains("ready") else { throw TraceFixtureError("the proxy did not start") }
        }

        /// What reached the proxy, one `udp QUERY` / `tcp QUERY` / `native QUERY` per line, once at
        /// least `expected` lines are there (or 5 s have passed), plus a moment for any stray extra.
        func received(expected: Int) -> [String] {
            func lines() -> [String] {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            }
            let deadline = Date().addingTimeInterval(5)
            while lines().count < expected && Date() < deadline { usleep(20_000) }
            usleep(100_000)
            return lines()
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: log)
        }
    }

    /// Sends NAME over UDP and TCP to 127.0.0.2:DNS through AF_INET (`inet`) and through an AF_INET6
    /// dual-mode socket (`mapped`, ::ffff:127.0.0.2), and TCP to [::1]:NATIVE (`native`). Prints one
    /// line per attempt: `inet-udp reply 127.0.0.2 47xxx answer:inet`, `mapped-tcp sent`, or the error.
    static func clientScript(dnsPort: Int, nativePort: Int) throws -> String {
        let path = dnsClientScriptPath
        // Removed when the test process exits, so runs leave nothing in the temporary directory.
        atexit { unlink(dnsClientScriptPath) }
        try """
        import socket, sys
        def udp(name, family, address):
            s = socket.socket(family, socket.SOCK_DGRAM); s.settimeout(1)
            try:
                s.sendto(name.encode(), (address, \(dnsPort)))
                data, source = s.recvfrom(512)
                print("%s-udp reply %s %d %s" % (name, source[0], source[1], data.decode()))
            except Exception as e:
                print("%s-udp %s" % (name, type(e).__name__))
        def tcp(name, family, address, port):
            s = socket.socket(family, socket.SOCK_STREAM); s.settimeout(1)
            try:
                s.connect((address, port)); s.sendall(name.encode()); s.close(); print("%s-tcp sent" % name)
            except Exception as e:
                print("%s-tcp %s" % (name, type(e).__name__))
        udp("inet", socket.AF_INET, "127.0.0.2")
        udp("mapped", socket.AF_INET6, "::ffff:127.0.0.2")
        tcp("inet", socket.AF_INET, "127.0.0.2", \(dnsPort))
        tcp("mapped", socket.AF_INET6, "::ffff:127.0.0.2", \(dnsPort))
        tcp("native", socket.AF_INET6, "::1", \(nativePort))
        sys.stdout.flush()
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testRedirectAndBlockHandleDualModeSockets() throws {
        try requirePrivileges()
        let proxy = try Proxy()
        defer { proxy.stop() }
        let dnsPort = TraceFixture.port(8)
        let before = try TraceFixture.snapshot()
        let result = try Sockdiag.run(["trace", "--json", "--redirect", "\(dnsPort)=127.0.0.1:\(proxy.port)", "--block-ipv6", "--",
                                       "python3", try Self.clientScript(dnsPort: dnsPort, nativePort: proxy.nativePort)])
        XCTAssertEqual(result.status, 1, result.stderr)
        // Under --json the command's stdout goes to stderr.
        let client = result.stderr
        XCTAssertTrue(client.contains("inet-udp reply 127.0.0.2 \(dnsPort) answer:inet"), client)
        XCTAssertTrue(client.contains("mapped-udp reply ::ffff:127.0.0.2 \(dnsPort) answer:mapped"), "the reply must come from the original address:\n\(client)")
        XCTAssertTrue(client.contains("inet-tcp sent"), client)
        XCTAssertTrue(client.contains("mapped-tcp sent"), client)
        XCTAssertFalse(client.contains("native-tcp sent"), "native IPv6 must be blocked:\n\(client)")
        XCTAssertEqual(Set(proxy.received(expected: 4)), ["udp inet", "udp mapped", "tcp inet", "tcp mapped"])

        let redirects = result.jsonLines.filter { $0["event"] as? String == "redirect" }
        XCTAssertEqual(Set(redirects.compactMap { $0["hook"] as? String }), ["sendmsg4", "connect4", "connect6"], "\(redirects)")
        let mappedTCP = try XCTUnwrap(redirects.first { $0["hook"] as? String == "connect6" })
        XCTAssertEqual(mappedTCP["original_address"] as? String, "::ffff:127.0.0.2")
        XCTAssertEqual(mappedTCP["original_port"] as? Int, dnsPort)
        XCTAssertEqual(mappedTCP["address"] as? String, "::ffff:127.0.0.1")
        XCTAssertEqual(mappedTCP["port"] as? Int, proxy.port)
        let mappedUDP = try XCTUnwrap(redirects.first { $0["hook"] as? String == "sendmsg4" && $0["socket_family"] as? String == "inet6" })
        XCTAssertEqual(mappedUDP["original_address"] as? String, "::ffff:127.0.0.2")
        XCTAssertEqual(mappedUDP["class"] as? String, "ipv4-mapped")

        let blocked = result.jsonLines.filter { $0["event"] as? String == "blocked" }
        XCTAssertFalse(blocked.isEmpty, result.stdout)
        for record in blocked {
            XCTAssertEqual(record["wire_protocol"] as? String, "ipv6")
            XCTAssertEqual(record["remote_address"] as? String, "::1")
            XCTAssertEqual(record["rule"] as? String, "skb->protocol")
        }
        // Every record names the command's cgroup, as its connects do.
        let cgroup = try XCTUnwrap(result.jsonLines.first { $0["event"] as? String == "connect" }?["cgroup"] as? String, result.stdout)
        for record in redirects + blocked { XCTAssertEqual(record["cgroup"] as? String, cgroup, "\(record)") }
        XCTAssertEqual(result.jsonLines.last?["redirects"] as? Int, 4)
        XCTAssertEqual(result.jsonLines.last?["blocked_sockets"] as? Int, 1)
        // The native socket's every packet was dropped: it sent no IPv6 packet, so the summary
        // counts it as blocked, not among the sockets whose packets left as IPv6.
        let egress = result.jsonLines.last?["egress"] as? [String: Int] ?? [:]
        XCTAssertNil(egress["inet6_ipv6"], "\(egress)")
        XCTAssertEqual(result.jsonLines.last?["egress_sockets"] as? Int, egress.values.reduce(0, +))
        XCTAssertEqual(try TraceFixture.snapshot(), before)
    }

    func testNaivePolicyFailsOnDualModeSocketsAsInTheStory() throws {
        try requirePrivileges()
        let proxy = try Proxy()
        defer { proxy.stop() }
        let dnsPort = TraceFixture.port(9)
        let result = try Sockdiag.run(["trace", "--json", "--naive", "--redirect", "\(dnsPort)=127.0.0.1:\(proxy.port)", "--block-ipv6", "--",
                                       "python3", try Self.clientScript(dnsPort: dnsPort, nativePort: proxy.nativePort)])
        XCTAssertEqual(result.status, 1, result.stderr)
        let client = result.stderr
        XCTAssertTrue(client.contains("inet-tcp sent"), "connect4 is the one hook the naive version has:\n\(client)")
        XCTAssertFalse(client.contains("mapped-tcp sent"), "the naive skb->family rule drops IPv4 from AF_INET6 sockets:\n\(client)")
        XCTAssertFalse(client.contains("mapped-udp reply"), client)
        let received = proxy.received(expected: 1)
        XCTAssertTrue(received.contains("tcp inet"), "\(received)")
        XCTAssertFalse(received.contains("udp mapped"), "the mapped DNS query must escape the naive redirect: \(received)")
        XCTAssertFalse(received.contains("tcp mapped"), "\(received)")

        let redirects = result.jsonLines.filter { $0["event"] as? String == "redirect" }
        XCTAssertEqual(redirects.compactMap { $0["hook"] as? String }, ["connect4"])
        let blocked = result.jsonLines.filter { $0["event"] as? String == "blocked" && $0["final"] as? Bool == false }
        XCTAssertTrue(blocked.contains { $0["socket_family"] as? String == "inet6" && $0["wire_protocol"] as? String == "ipv4"
            && $0["rule"] as? String == "skb->family" }, "\(blocked)")
    }

    func testProcessesOutsideTheCgroupAreNeverAffected() throws {
        try requirePrivileges()
        let proxy = try Proxy()
        defer { proxy.stop() }
        let dnsPort = TraceFixture.port(10)
        let cgroup = try TraceFixture.makeCgroup("policy-outside")
        defer { TraceFixture.removeCgroup(cgroup) }
        let tracer = try TraceFixture.startTrace(["trace", "--cgroup", cgroup, "--json", "--redirect", "\(dnsPort)=127.0.0.1:\(proxy.port)", "--block-ipv6"])
        try TraceFixture.waitUntilAttached(cgroup, programs: 11)
        let outside = try runProgram("/usr/bin/env", ["python3", try Self.clientScript(dnsPort: dnsPort, nativePort: proxy.nativePort)])
        let inside = try runProgram("/bin/sh", ["-c", "echo $$ > \(cgroup)/cgroup.procs && exec python3 \(try Self.clientScript(dnsPort: dnsPort, nativePort: proxy.nativePort))"])
        let result = try TraceFixture.stop(tracer, signal: SIGINT)
        XCTAssertTrue(outside.stdout.contains("native-tcp sent"), "IPv6 outside the cgroup must pass:\n\(outside.stdout)")
        XCTAssertFalse(outside.stdout.contains("inet-udp reply"), "DNS outside the cgroup must not be redirected:\n\(outside.stdout)")
        XCTAssertTrue(inside.stdout.contains("inet-udp reply 127.0.0.2"), inside.stdout)
        XCTAssertFalse(inside.stdout.contains("native-tcp sent"), inside.stdout)
        XCTAssertEqual(proxy.received(expected: 5).filter { $0 == "native native" }.count, 1, "only the outside client reaches [::1]")
        XCTAssertEqual(result.jsonLines.filter { $0["event"] as? String == "redirect" }.count, 4, "only the inside client's four sends are redirected")
        XCTAssertEqual(try TraceFixture.attachedPrograms(cgroup), 0)
    }

    func testNativeIPv6GoesToTheIPv6Target() throws {
        try requirePrivileges()
        let proxy = try Proxy()
        defer { proxy.stop() }
        let dnsPort = TraceFixture.port(12)
        let script = """
        import socket
        u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.settimeout(1)
        u.sendto(b"six", ("::1", \(dnsPort)))
        data, source = u.recvfrom(512)
        print("udp6 reply %s %d %s" % (source[0], source[1], data.decode()))
        t = socket.socket(socket.AF_INET6, socket.SOCK_STREAM); t.settimeout(1)
        t.connect(("::1", \(dnsPort))); t.sendall(b"six"); t.close()
        print("tcp6 sent")
        """
        let result = try Sockdiag.run(["trace", "--json", "--redirect", "\(dnsPort)=127.0.0.1:\(proxy.port)",
                                       "--redirect", "\(dnsPort)=[::1]:\(proxy.nativePort)", "--", "python3", "-c", script])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("udp6 reply ::1 \(dnsPort) answer6:six"), result.stderr)
        XCTAssertTrue(result.stderr.contains("tcp6 sent"), result.stderr)
        XCTAssertEqual(Set(proxy.received(expected: 2)), ["udp6 six", "native six"])
        let redirects = result.jsonLines.filter { $0["event"] as? String == "redirect" }
        XCTAssertEqual(Set(redirects.compactMap { $0["hook"] as? String }), ["sendmsg6", "connect6"])
        for redirect in redirects {
            XCTAssertEqual(redirect["original_address"] as? String, "::1")
            XCTAssertEqual(redirect["address"] as? String, "::1")
            XCTAssertEqual(redirect["port"] as? Int, proxy.nativePort)
            XCTAssertEqual(redirect["class"] as? String, "ipv6")
        }
    }

    func testPolicyRefusals() throws {
        try requirePrivileges()
        func refused(_ arguments: [String], _ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let result = try Sockdiag.run(arguments)
            XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(text), result.stderr, file: file, line: line)
        }
        let before = try TraceFixture.snapshot()
        try refused(["trace", "--cgroup", TraceFixture.cgroupRoot, "--block-ipv6"], "root cgroup")
        try refused(["trace", "--cgroup", "x", "--redirect", "53"], "PORT=ADDRESS:PORT")
        try refused(["trace", "--cgroup", "x", "--redirect", "53=[::1]:99999"], "99999")
        try refused(["trace", "--cgroup", "x", "--redirect", "53=::ffff:127.0.0.1:53"], "brackets")
        try refused(["trace", "--cgroup", "x", "--redirect", "53=127.0.0.1:1", "--redirect", "53=127.0.0.2:1"], "two IPv4 targets")
        try refused(["trace", "--cgroup", "x", "--naive"], "--naive")
        try refused(["trace", "--cgroup", "x", "--force"], "--force")
        XCTAssertEqual(try TraceFixture.snapshot(), before)
    }
}

private let dnsClientScriptPath = NSTemporaryDirectory() + "sockdiag-trace-dns-client-\(getpid()).py"
