import Foundation
import XCTest

/// compare-wire and trace across real translators (tayga in namespaces, `TranslatorLab`): a
/// 464XLAT client whose AF_INET sockets leave as IPv6 through its CLAT, and a NAT64 router seen
/// from both of its sides. Live and offline; TCP connects and UDP sends; flows that bypass the
/// translators stay `same`.
final class CompareWireTranslatorTests: XCTestCase {
    /// A TCP request and a UDP datagram to the server by its IPv4 address (`v4`: through the CLAT)
    /// or by its address under the prefix (`v6`: native IPv6 to the NAT64), then a UDP datagram to
    /// the router's own IPv6 address, which no translator touches.
    static let traffic = """
    import socket, sys
    v4 = sys.argv[1] == 'v4'
    host = '\(TranslatorLab.serverIPv4)' if v4 else '\(TranslatorLab.serverViaPrefix)'
    family = socket.AF_INET if v4 else socket.AF_INET6
    s = socket.socket(family, socket.SOCK_STREAM); s.connect((host, 80))
    s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n'); s.recv(100); s.close()
    u = socket.socket(family, socket.SOCK_DGRAM); u.sendto(b'x', (host, 5353)); u.close()
    b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); b.sendto(b'y', ('\(TranslatorLab.routerIPv6)', 9)); b.close()
    """

    override func setUpWithError() throws {
        try requirePrivileges("tayga, namespaces, BPF and captures")
    }

    func flows(_ result: CommandResult) -> [[String: Any]] {
        ((result.json as? [String: Any])?["flows"] as? [[String: Any]]) ?? []
    }

    func row(_ flows: [[String: Any]], transport: String, port: Int) -> [String: Any]? {
        flows.first { flow in
            let kernel = flow["kernel"] as? [String: Any]
            return kernel?["protocol"] as? String == transport && kernel?["port"] as? Int == port
        }
    }

    func side(_ row: [String: Any]?, _ path: String...) -> Any? {
        var node: Any? = row
        for key in path { node = (node as? [String: Any])?[key] }
        return node
    }

    /// Issue's "done when": on the 464XLAT client, `compare-wire -- curl http://192.0.2.10/` is one
    /// row: AF_INET in the kernel, IPv6 on the wire through the CLAT, with the prefix and its source.
    func testCurlThroughTheCLATIsOneClatRow() throws {
        let lab = try TranslatorLab()
        defer { lab.tearDown() }
        let text = try lab.sockdiag(in: lab.client, ["compare-wire", "--", "/usr/bin/curl", "-s", "-o", "/dev/null", "http://\(TranslatorLab.serverIPv4)/"])
        XCTAssertEqual(text.status, 1, "a clat row is a family difference: \(text.stdout)\(text.stderr)")
        let rows = text.stdout.split(separator: "\n").filter { $0.contains("/curl ") && $0.contains("(connect") }
        XCTAssertEqual(rows.count, 1, text.stdout)
        let row = String(rows.first ?? "")
        XCTAssertTrue(row.contains("inet \(TranslatorLab.serverIPv4):80 (connect4)"), row)
        XCTAssertTrue(row.contains("IPv4 tcp \(TranslatorLab.clatIPv4):"), row)
        XCTAssertTrue(row.contains("on \(lab.clatDevice) => IPv6 tcp [\(TranslatorLab.clatIPv6)]:"), row)
        XCTAssertTrue(row.contains("-> [\(TranslatorLab.serverViaPrefix)]:80"), row)
        XCTAssertTrue(row.contains("on \(lab.clatDevice), \(lab.uplink) (CLAT, prefix \(TranslatorLab.prefix) learned from packets)"), row)
        XCTAssertTrue(row.hasSuffix("clat"), row)
        XCTAssertTrue(text.stdout.hasPrefix("NAT64 prefixes: \(TranslatorLab.prefix) (learned from packets: \(TranslatorLab.serverIPv4) seen as \(TranslatorLab.serverViaPrefix))"), text.stdout)
        XCTAssertTrue(text.stdout.contains("an IPv4 capture filter"), text.stdout)

        let json = try lab.sockdiag(in: lab.client, ["compare-wire", "--json", "--", "/usr/bin/curl", "-s", "-o", "/dev/null", "http://\(TranslatorLab.serverIPv4)/"])
        let curl = flows(json).filter { $0["comm"] as? String == "curl" }
        XCTAssertEqual(curl.count, 1, json.stdout)
        let flow = curl.first
        XCTAssertEqual(flow?["verdict"] as? String, "clat")
        XCTAssertEqual(side(flow, "kernel", "socket_family") as? String, "inet")
        XCTAssertEqual(side(flow, "wire", "protocol") as? String, "ipv6")
        XCTAssertEqual(side(flow, "wire", "dst") as? String, TranslatorLab.serverViaPrefix)
        XCTAssertEqual(Set(side(flow, "wire", "interfaces") as? [String] ?? []), [lab.clatDevice, lab.uplink])
        XCTAssertEqual(side(flow, "translation", "prefix") as? String, TranslatorLab.prefix)
        XCTAssertEqual(side(flow, "translation", "prefix_source") as? String, "packets")
        XCTAssertEqual(side(flow, "translation", "ipv4") as? String, TranslatorLab.serverIPv4)
        XCTAssertEqual(side(flow, "translation", "ipv4_side", "src") as? String, TranslatorLab.clatIPv4)
        XCTAssertEqual(side(flow, "translation", "ipv4_side", "interfaces") as? [String], [lab.clatDevice])
        XCTAssertEqual(side(flow, "outcome", "connect") as? String, "established")
    }

    /// Live on the CLAT client, with the prefix given: TCP and UDP through the CLAT are `clat`, the
    /// datagram to the router's own IPv6 address stays `same`.
    func testCLATClientConnectsAndSendsLive() throws {
        let lab = try TranslatorLab()
        defer { lab.tearDown() }
        let result = try lab.sockdiag(in: lab.client, ["compare-wire", "--json", "--nat64-prefix", TranslatorLab.prefix, "--",
                                                       "/usr/bin/python3", "-c", Self.traffic, "v4"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let flows = self.flows(result)
        for (transport, port) in [("tcp", 80), ("udp", 5353)] {
            let row = row(flows, transport: transport, port: port)
            XCTAssertEqual(row?["verdict"] as? String, "clat", "\(transport): \(result.stdout)")
            XCTAssertEqual(side(row, "kernel", "hook") as? String, transport == "tcp" ? "connect4" : "sendmsg4")
            XCTAssertEqual(side(row, "translation", "ipv4") as? String, TranslatorLab.serverIPv4)
            XCTAssertEqual(side(row, "translation", "prefix_source") as? String, "option")
            XCTAssertEqual(side(row, "wire", "src") as? String, TranslatorLab.clatIPv6)
            XCTAssertEqual(side(row, "translation", "ipv4_side", "dst") as? String, TranslatorLab.serverIPv4)
        }
        let bypass = row(flows, transport: "udp", port: 9)
        XCTAssertEqual(bypass?["verdict"] as? String, "same", result.stdout)
        XCTAssertEqual(bypass?["translation"] is NSNull, true)
        XCTAssertEqual(flows.filter { $0["verdict"] as? String == "wire-only" }.count, 0, result.stdout)
    }

    /// Captured on the NAT64 router while the client (another namespace) is traced: each flow's
    /// IPv6 side from the client and IPv4 side from the pool are one `nat64` row.
    func testNAT64RouterJoinsBothSidesLive() throws {
        let lab = try TranslatorLab()
        defer { lab.tearDown() }
        let result = try lab.sockdiag(in: lab.router, ["compare-wire", "--json", "--",
                                                       "/usr/sbin/ip", "netns", "exec", lab.client, "/usr/bin/python3", "-c", Self.traffic, "v6"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let flows = self.flows(result)
        for (transport, port) in [("tcp", 80), ("udp", 5353)] {
            let row = row(flows, transport: transport, port: port)
            XCTAssertEqual(row?["verdict"] as? String, "nat64", "\(transport): \(result.stdout)")
            XCTAssertEqual(side(row, "kernel", "socket_family") as? String, "inet6")
            XCTAssertEqual(side(row, "kernel", "class") as? String, "nat64")
            XCTAssertEqual(side(row, "wire", "dst") as? String, TranslatorLab.serverViaPrefix)
            XCTAssertEqual(side(row, "translation", "kind") as? String, "nat64")
            XCTAssertEqual(side(row, "translation", "ipv4") as? String, TranslatorLab.serverIPv4)
            let pool = side(row, "translation", "ipv4_side", "src") as? String ?? ""
            XCTAssertTrue(pool.hasPrefix("198.18.255."), "the pool address: \(pool)")
            XCTAssertEqual(side(row, "translation", "ipv4_side", "sport") as? Int, side(row, "wire", "sport") as? Int, "tayga keeps ports")
            XCTAssertTrue((side(row, "translation", "ipv4_side", "interfaces") as? [String] ?? []).contains(lab.nat64Device))
        }
        XCTAssertEqual(row(flows, transport: "udp", port: 9)?["verdict"] as? String, "same", result.stdout)
        XCTAssertEqual(flows.filter { $0["verdict"] as? String == "wire-only" }.count, 0, result.stdout)
    }

    /// DNS64 as a host sees it: ipv4only.arpa and the server's name answered with addresses under
    /// the prefix, from a private /etc/hosts in a mount namespace of the test's own. Discovery
    /// names the answer; trace and compare-wire classify the connect as nat64 with the IPv4 inside.
    func testDNS64DiscoveryThroughThePrivateHostsFile() throws {
        let lab = try TranslatorLab()
        defer { lab.tearDown() }
        let hosts = lab.path("hosts")
        try "127.0.0.1 localhost\nfd00:6464::c000:aa ipv4only.arpa\n\(TranslatorLab.serverViaPrefix) server.test\n"
            .write(toFile: hosts, atomically: true, encoding: .utf8)
        func withHosts(_ arguments: [String]) throws -> CommandResult {
            try runProgram("/usr/bin/unshare", ["-m", "/bin/sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts,
                                                "/usr/bin/nsenter", "--net=/run/netns/\(lab.client)", Sockdiag.executable.path] + arguments)
        }
        let curl = ["/usr/bin/curl", "-s", "-o", "/dev/null", "http://server.test/"]
        let trace = try withHosts(["trace", "--json", "--nat64-prefix", "discover", "--"] + curl)
        SchemaValidation.check(["trace", "--json"], trace)
        let connect = trace.jsonLines.first { $0["event"] as? String == "connect" && $0["port"] as? Int == 80 }
        XCTAssertEqual(connect?["class"] as? String, "nat64", trace.stdout + trace.stderr)
        XCTAssertEqual(connect?["ipv4"] as? String, TranslatorLab.serverIPv4)
        XCTAssertEqual(connect?["nat64_prefix"] as? String, TranslatorLab.prefix)
        XCTAssertEqual(connect?["nat64_prefix_source"] as? String, "RFC 7050: ipv4only.arpa resolved to fd00:6464::c000:aa")

        let text = try withHosts(["trace", "--nat64-prefix", "discover", "--"] + curl)
        XCTAssertTrue(text.stdout.hasPrefix("NAT64 prefixes: \(TranslatorLab.prefix) (RFC 7050: ipv4only.arpa resolved to fd00:6464::c000:aa)"), text.stdout)
        XCTAssertTrue(text.stdout.contains("nat64 (\(TranslatorLab.serverIPv4))"), text.stdout)

        let wire = try withHosts(["compare-wire", "--json", "--nat64-prefix", "discover", "--"] + curl)
        SchemaValidation.check(["compare-wire", "--json"], wire)
        let document = wire.json as? [String: Any]
        let first = (document?["nat64_prefixes"] as? [[String: Any]])?.first
        XCTAssertEqual(first?["prefix"] as? String, TranslatorLab.prefix, wire.stdout)
        XCTAssertEqual(first?["source"] as? String, "rfc7050")
        let row = row(flows(wire), transport: "tcp", port: 80)
        XCTAssertEqual(row?["verdict"] as? String, "nat64", wire.stdout)
        XCTAssertEqual(side(row, "kernel", "class") as? String, "nat64")

        // Without a DNS64 answer, discovery says so and nothing is assumed.
        try "127.0.0.1 localhost\n".write(toFile: hosts, atomically: true, encoding: .utf8)
        let none = try withHosts(["compare-wire", "--json", "--nat64-prefix", "discover", "--", "/bin/true"])
        let note = (none.json as? [String: Any])?["nat64_discovery"] as? String ?? ""
        XCTAssertTrue(note.hasPrefix("ipv4only.arpa did not resolve"), none.stdout + none.stderr)
    }

    /// Offline: tcpdump on every interface of the CLAT client and `sockdiag trace --json` there,
    /// joined afterwards: the same clat rows, interfaces as indexes, and an annotated pcapng whose
    /// every packet of a translated flow names the translation.
    func testCLATClientOffline() throws {
        let lab = try TranslatorLab()
        defer { lab.tearDown() }
        let pcap = lab.path("clat.pcap"), events = lab.path("clat.jsonl"), annotated = lab.path("clat.pcapng")
        try capture(in: lab.client, to: pcap) {
            let trace = try lab.sockdiag(in: lab.client, ["trace", "--json", "--", "/usr/bin/python3", "-c", Self.traffic, "v4"])
            try trace.stdout.write(toFile: events, atomically: true, encoding: .utf8)
        }
        let result = try Sockdiag.run(["compare-wire", "--json", "--pcap", pcap, "--events", events, "-w", annotated])
        XCTAssertEqual(result.status, 1, result.stderr)
        let flows = self.flows(result)
        for (transport, port) in [("tcp", 80), ("udp", 5353)] {
            let row = row(flows, transport: transport, port: port)
            XCTAssertEqual(row?["verdict"] as? String, "clat", "\(transport): \(result.stdout)")
            XCTAssertEqual(side(row, "translation", "prefix_source") as? String, "packets")
            let interfaces = side(row, "wire", "interfaces") as? [String] ?? []
            // By index (a file has no names); the live tests check both interfaces by name.
            XCTAssertFalse(interfaces.isEmpty)
            XCTAssertTrue(interfaces.allSatisfy { $0.hasPrefix("ifindex ") }, "\(interfaces)")
        }
        XCTAssertEqual(row(flows, transport: "udp", port: 9)?["verdict"] as? String, "same", result.stdout)

        let comments = try runProgram("/usr/bin/tshark", ["-r", annotated, "-T", "fields", "-e", "frame.comment", "-Y", "tcp.port == 80"])
        let lines = comments.stdout.split(separator: "\n")
        XCTAssertGreaterThan(lines.count, 10, comments.stderr)
        for line in lines {
            XCTAssertTrue(line.contains("verdict clat; "), String(line))
            XCTAssertTrue(line.contains("; translated by a CLAT: IPv4 \(TranslatorLab.clatIPv4):"), String(line))
            XCTAssertTrue(line.contains("=> IPv6 [\(TranslatorLab.clatIPv6)]:"), String(line))
            XCTAssertTrue(line.contains("prefix \(TranslatorLab.prefix) (learned from packets"), String(line))
        }
    }

    /// tcpdump on every interface of namespace `ns` (Linux cooked v2, as `tcpdump -i any` writes
    /// it) while `body` runs `traffic`, until its last datagram is in the file.
    func capture(in ns: String, to pcap: String, during body: () throws -> Void) throws {
        let tcpdump = Process()
        tcpdump.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        tcpdump.arguments = ["netns", "exec", ns, "/usr/bin/tcpdump", "-i", "any", "-y", "LINUX_SLL2", "-B", "16384", "-U", "--immediate-mode",
                             "-w", pcap, "tcp or udp"]
        tcpdump.standardOutput = FileHandle.nullDevice
        let started = Pipe()
        tcpdump.standardError = started
        try tcpdump.run()
        var said = ""
        while !said.contains("listening on") {
            let chunk = started.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        defer {
            // The traffic's last datagram (to the router's port 9) in the file means every earlier
            // packet is there too (-U writes each as read); a loaded host may take a while.
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                let last = try? runProgram("/usr/bin/tcpdump", ["-r", pcap, "-n", "udp port 9"])
                if !(last?.stdout.isEmpty ?? true) { break }
                usleep(100_000)
            }
            tcpdump.interrupt()
            tcpdump.waitUntilExit()
        }
        try body()
    }

    /// Offline on the NAT64 router: its capture and the client's trace, joined afterwards: TCP
    /// and UDP rows `nat64` with the pool side, the bypassing datagram `same`.
    func testNAT64RouterOffline() throws {
        let lab = try TranslatorLab()
        defer { lab.tearDown() }
        let pcap = lab.path("nat64.pcap"), events = lab.path("nat64.jsonl")
        try capture(in: lab.router, to: pcap) {
            let trace = try lab.sockdiag(in: lab.client, ["trace", "--json", "--", "/usr/bin/python3", "-c", Self.traffic, "v6"])
            try trace.stdout.write(toFile: events, atomically: true, encoding: .utf8)
        }
        let result = try Sockdiag.run(["compare-wire", "--json", "--pcap", pcap, "--events", events])
        XCTAssertEqual(result.status, 0, result.stderr)
        let flows = self.flows(result)
        for (transport, port) in [("tcp", 80), ("udp", 5353)] {
            let row = row(flows, transport: transport, port: port)
            XCTAssertEqual(row?["verdict"] as? String, "nat64", "\(transport): \(result.stdout)")
            XCTAssertEqual(side(row, "translation", "ipv4") as? String, TranslatorLab.serverIPv4)
            XCTAssertTrue((side(row, "translation", "ipv4_side", "src") as? String ?? "").hasPrefix("198.18.255."), "\(transport): \(result.stdout)")
        }
        XCTAssertEqual(row(flows, transport: "udp", port: 9)?["verdict"] as? String, "same", result.stdout)
    }

    /// The lab leaves nothing: taygas stopped, TUN devices and namespaces gone.
    func testLabLeavesNothingBehind() throws {
        let lab = try TranslatorLab()
        XCTAssertFalse(lab.leftovers.isEmpty)
        lab.tearDown()
        XCTAssertEqual(lab.leftovers, [])
        let taygas = try runProgram("/usr/bin/pgrep", ["-f", "tayga -c \(lab.scratch.path)"])
        XCTAssertEqual(taygas.stdout, "", "tayga still running")
    }
}
