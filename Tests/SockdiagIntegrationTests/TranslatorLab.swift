import Foundation
import XCTest

/// Three network namespaces and two real translators (Debian's tayga, NAT64 over a TUN device):
///
///     client (IPv6-only uplink, fd00:c::2)  --  router (tayga NAT64, fd00:6464::/96, pool 198.18.255.0/24)  --  server (IPv4-only, 192.0.2.10)
///
/// and in the client a CLAT: a second tayga whose TUN device carries the client's IPv4 default
/// route (the client's IPv4 address 192.0.0.2, RFC 7335) into the NAT64 prefix from
/// fd00:c1a7::2. The server answers HTTP on 192.0.2.10:80. Everything is removed on deinit:
/// both taygas stopped (they run as children, never detached), their TUN devices removed, the
/// namespaces deleted.
final class TranslatorLab {
    static var made = 0
    let suffix: String
    let client: String, router: String, server: String
    let clatDevice: String, nat64Device: String, uplink: String
    let scratch: URL
    private var taygas: [Process] = []
    private var httpServer: Process?
    private var configs: [(namespace: String, path: String)] = []

    static let prefix = "fd00:6464::/96"
    static let serverIPv4 = "192.0.2.10"
    static let serverViaPrefix = "fd00:6464::c000:20a"
    static let clatIPv4 = "192.0.0.2"
    static let clatIPv6 = "fd00:c1a7::2"
    static let routerIPv6 = "fd00:c::1"

    init() throws {
        TranslatorLab.made += 1
        suffix = "\(getpid() % 100_000)\(TranslatorLab.made % 10)"
        client = "sdtest-t6c\(suffix)"
        router = "sdtest-t6r\(suffix)"
        server = "sdtest-t6s\(suffix)"
        clatDevice = "t6clat\(suffix)"
        nat64Device = "t6nat\(suffix)"
        uplink = "t6a\(suffix)"
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-t6-\(suffix)-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("nat64"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("clat"), withIntermediateDirectories: true)
        do { try build() } catch { tearDown(); throw error }
    }

    private func build() throws {
        for ns in [client, router, server] {
            try ip("netns add \(ns)")
            try ip("-n \(ns) link set lo up")
        }
        try ip("link add \(uplink) netns \(client) type veth peer name t6b\(suffix) netns \(router)")
        try ip("link add t6s\(suffix) netns \(server) type veth peer name t6t\(suffix) netns \(router)")
        try ip("-n \(client) link set \(uplink) up")
        try ip("-n \(router) link set t6b\(suffix) up")
        try ip("-n \(router) link set t6t\(suffix) up")
        try ip("-n \(server) link set t6s\(suffix) up")
        try ip("-n \(client) addr add fd00:c::2/64 dev \(uplink) nodad")
        try ip("-n \(router) addr add \(Self.routerIPv6)/64 dev t6b\(suffix) nodad")
        try ip("-n \(client) -6 route add default via \(Self.routerIPv6)")
        try ip("-n \(router) addr add 192.0.2.1/24 dev t6t\(suffix)")
        try ip("-n \(server) addr add \(Self.serverIPv4)/24 dev t6s\(suffix)")
        try ip("-n \(server) route add default via 192.0.2.1")
        for ns in [router, client] {
            try run(ns, ["/usr/sbin/sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
        }

        // The NAT64 in the router: IPv6 to the prefix in, IPv4 from the pool out.
        try startTayga(in: router, name: "nat64", device: nat64Device, lines: [
            "ipv4-addr 198.18.255.1", "prefix \(Self.prefix)", "dynamic-pool 198.18.255.0/24",
        ]) {
            try self.ip("-n \(self.router) addr add 198.18.0.1 dev \(self.nat64Device)")
            try self.ip("-n \(self.router) addr add fd00:c::64 dev \(self.nat64Device) nodad")
            try self.ip("-n \(self.router) route add 198.18.255.0/24 dev \(self.nat64Device)")
            try self.ip("-n \(self.router) -6 route add \(Self.prefix) dev \(self.nat64Device)")
            try self.ip("-n \(self.router) -6 route add fd00:c1a7::/64 via fd00:c::2")
        }
        // The CLAT in the client: its IPv4 default route into the prefix, from fd00:c1a7::2.
        try startTayga(in: client, name: "clat", device: clatDevice, lines: [
            "ipv4-addr 192.0.0.1", "prefix \(Self.prefix)", "map \(Self.clatIPv4) \(Self.clatIPv6)",
        ]) {
            try self.ip("-n \(self.client) addr add \(Self.clatIPv4)/32 dev \(self.clatDevice)")
            try self.ip("-n \(self.client) route add default dev \(self.clatDevice)")
            try self.ip("-n \(self.client) -6 route add \(Self.clatIPv6) dev \(self.clatDevice)")
        }

        let script = """
        import http.server
        class Ok(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.send_header('Content-Length', '3'); self.end_headers(); self.wfile.write(b'ok\\n')
            def log_message(self, *args): pass
        s = http.server.HTTPServer(('\(Self.serverIPv4)', 80), Ok)
        print('ready', flush=True)
        s.serve_forever()
        """
        let server = Process()
        let ready = try server.startAndReadFirstLine(["/usr/sbin/ip", "netns", "exec", self.server, "/usr/bin/python3", "-c", script],
                                                     input: Pipe(), output: Pipe())
        httpServer = server
        guard ready.hasPrefix("ready") else { throw TraceFixtureError("HTTP server in \(self.server): \(ready)") }
        // Both paths carry a request before the test measures anything.
        for url in ["http://\(Self.serverIPv4)/", "http://[\(Self.serverViaPrefix)]/"] {
            var answered = false
            for _ in 0..<50 where !answered {
                answered = (try? run(client, ["/usr/bin/curl", "-s", "-m", "2", "-o", "/dev/null", url])) != nil
                if !answered { usleep(100_000) }
            }
            guard answered else { throw TraceFixtureError("\(url) is not reachable from \(client) through tayga") }
        }
    }

    private func startTayga(in ns: String, name: String, device: String, lines: [String], configure: () throws -> Void) throws {
        let path = scratch.appendingPathComponent("\(name).conf").path
        let text = (["tun-device \(device)"] + lines + ["data-dir \(scratch.appendingPathComponent(name).path)"]).joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        configs.append((ns, path))
        try run(ns, ["/usr/sbin/tayga", "-c", path, "--mktun"])
        try ip("-n \(ns) link set \(device) up")
        try configure()
        let tayga = Process()
        tayga.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        tayga.arguments = ["netns", "exec", ns, "/usr/sbin/tayga", "-c", path, "--nodetach"]
        tayga.standardOutput = FileHandle.nullDevice
        tayga.standardError = FileHandle.nullDevice
        try tayga.run()
        taygas.append(tayga)
    }

    /// Runs `command` in namespace `ns`, failing on a non-zero status.
    @discardableResult
    func run(_ ns: String, _ command: [String], timeout: TimeInterval = 60) throws -> CommandResult {
        let result = try runProgram("/usr/sbin/ip", ["netns", "exec", ns] + command, timeout: timeout)
        guard result.status == 0 else { throw TraceFixtureError("\(command.joined(separator: " ")) in \(ns): \(result.stderr)") }
        return result
    }

    func ip(_ arguments: String) throws {
        let result = try runProgram("/usr/sbin/ip", arguments.split(separator: " ").map(String.init))
        guard result.status == 0 else { throw TraceFixtureError("ip \(arguments): \(result.stderr)") }
    }

    /// sockdiag with the network namespace `ns` and this mount namespace (its cgroup2 mount
    /// included, which `ip netns exec` would hide): as a user on that network runs it.
    func sockdiag(in ns: String, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60,
                  file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
        let result = try runProgram("/usr/bin/nsenter", ["--net=/run/netns/\(ns)", Sockdiag.executable.path] + arguments,
                                    environment: environment, timeout: timeout)
        SchemaValidation.check(arguments, result, file: file, line: line)
        return result
    }

    /// A file in the lab's scratch directory.
    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    private var tornDown = false

    /// Stops the taygas and the server, removes the TUN devices and the namespaces. Once.
    func tearDown() {
        guard !tornDown else { return }
        tornDown = true
        for tayga in taygas where tayga.isRunning {
            tayga.terminate()
            tayga.waitUntilExit()
        }
        if let httpServer, httpServer.isRunning {
            httpServer.terminate()
            httpServer.waitUntilExit()
        }
        for (ns, path) in configs { _ = try? runProgram("/usr/sbin/ip", ["netns", "exec", ns, "/usr/sbin/tayga", "-c", path, "--rmtun"]) }
        for ns in [client, router, server] { _ = try? runProgram("/usr/sbin/ip", ["netns", "del", ns]) }
        try? FileManager.default.removeItem(at: scratch)
    }

    deinit { tearDown() }

    /// What is left of the lab on this host: namespaces and links whose names it chose.
    var leftovers: [String] {
        let namespaces = (try? runProgram("/usr/sbin/ip", ["netns", "list"]).stdout) ?? ""
        let links = (try? runProgram("/usr/sbin/ip", ["-br", "link"]).stdout) ?? ""
        return (namespaces + links).split(separator: "\n").map(String.init)
            .filter { $0.contains("t6c\(suffix)") || $0.contains("t6r\(suffix)") || $0.contains("t6s\(suffix)") || $0.contains("t6clat\(suffix)") || $0.contains("t6nat\(suffix)") }
    }
}
