import Foundation
import XCTest

/// Pieces of the outcome tests: a Happy Eyeballs client and a server in Python, a Node client, two
/// network namespaces joined by a veth pair, and a private /etc/hosts.
enum OutcomeFixture {
    /// `he.py serve PORT... [--reset] [--ipv4-loopback]`: listens dual-stack on each port (or on
    /// 127.0.0.1 only), answers each request with a short HTTP response and closes, or with
    /// `--reset` closes with a RST.
    /// `he.py STEP...`: runs each step in order and prints `STEP=result` on stderr:
    ///   `connect/PORT/ADDR`: one blocking connect;
    ///   `race/DELAY_MS/PORT/ADDR1/ADDR2`: Happy Eyeballs (RFC 8305): ADDR1 first, ADDR2 when ADDR1
    ///   fails or DELAY_MS passes, the first established wins and the other is closed;
    ///   `udp/PORT/ADDR`: a connected UDP socket sends twice;
    ///   `abort/MS/PORT/ADDR`: a non-blocking connect closed with SO_LINGER 0 after MS;
    ///   `rstclose/PORT/ADDR`: a blocking connect that sends `hello`, reads the answer to its end and
    ///   closes with SO_LINGER 0 (a RST);
    ///   `sleep/MS`: the process stays a while.
    /// A winner sends `hello` and reads the answer to its end.
    static let pythonClient = """
    import errno, os, selectors, socket, struct, sys, time

    def family(address):
        return socket.AF_INET6 if ":" in address else socket.AF_INET

    def serve(ports, reset, ipv4_only):
        selector = selectors.DefaultSelector()
        for port in ports:
            listener = socket.socket(socket.AF_INET if ipv4_only else socket.AF_INET6, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if not ipv4_only:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            listener.bind(("127.0.0.1" if ipv4_only else "::", port))
            listener.listen(64)
            selector.register(listener, selectors.EVENT_READ)
        print("ready", flush=True)
        while True:
            for key, _ in selector.select():
                connection, _ = key.fileobj.accept()
                connection.settimeout(5)
                try:
                    connection.recv(4096)
                    connection.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 5\\r\\nConnection: close\\r\\n\\r\\nworld")
                    if reset:
                        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
                connection.close()

    def use(sock):
        sock.setblocking(True)
        sock.settimeout(5)
        sock.sendall(b"hello")
        answer = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except OSError as error:
            return "%s:%s" % (len(answer), errno.errorcode.get(error.errno, error.errno))
        return "%d" % len(answer)

    def start(address, port):
        sock = socket.socket(family(address), socket.SOCK_STREAM)
        sock.setblocking(False)
        if sock.connect_ex((address, port)) not in (0, errno.EINPROGRESS):
            sock.close()  # failed at once (no route): no SYN left
            return None
        return sock

    def race(delay, port, first, second):
        selector = selectors.DefaultSelector()
        def launch(address):
            sock = start(address, port)
            if sock:
                selector.register(sock, selectors.EVENT_WRITE)
        launch(first)
        second_at = time.monotonic() + delay
        launched_second = False
        while True:
            if not launched_second and (not selector.get_map() or time.monotonic() >= second_at):
                launch(second)
                launched_second = True
            if not selector.get_map():
                break
            ready = selector.select(None if launched_second else max(0, second_at - time.monotonic()))
            for key, _ in ready:
                sock = key.fileobj
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                selector.unregister(sock)
                if error == 0:
                    for loser in list(selector.get_map().values()):
                        selector.unregister(loser.fileobj)
                        loser.fileobj.close()
                    return "%s:%s" % (sock.getpeername()[0], use(sock))
                sock.close()
        return "failed"

    def connect(port, address):
        sock = socket.socket(family(address), socket.SOCK_STREAM)
        try:
            sock.connect((address, port))
        except OSError as error:
            return errno.errorcode.get(error.errno, str(error.errno))
        return use(sock)

    def abort(delay, port, address):
        sock = start(address, port)
        time.sleep(delay)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return "aborted"

    def rstclose(port, address):
        sock = socket.create_connection((address, port), timeout=5)
        result = use(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return result

    def udp(port, address):
        sock = socket.socket(family(address), socket.SOCK_DGRAM)
        sock.connect((address, port))
        sock.send(b"x")
        time.sleep(0.1)
        try:
            sock.send(b"x")
        except OSError as error:
            return errno.errorcode.get(error.errno, str(error.errno))
        return "sent"

    if sys.argv[1] == "serve":
        serve([int(p) for p in sys.argv[2:] if not p.startswith("--")], "--reset" in sys.argv, "--ipv4-loopback" in sys.argv)
    print("pid=%d" % os.getpid(), file=sys.stderr)
    for step in sys.argv[1:]:
        parts = step.split("/")
        if parts[0] == "race":
            result = race(int(parts[1]) / 1000, int(parts[2]), parts[3], parts[4])
        elif parts[0] == "connect":
            result = connect(int(parts[1]), parts[2])
        elif parts[0] == "abort":
            result = abort(int(parts[1]) / 1000, int(parts[2]), parts[3])
        elif parts[0] == "rstclose":
            result = rstclose(int(parts[1]), parts[2])
        elif parts[0] == "sleep":
            time.sleep(int(parts[1]) / 1000)
            result = "slept"
        else:
            result = udp(int(parts[1]), parts[2])
        print("%s=%s" % (step, result), file=sys.stderr, flush=True)
    """

    /// `node client.js HOST PORT`: Node 20's own Happy Eyeballs (autoSelectFamily) with its default
    /// 250 ms attempt timeout; prints `node=connected` or `node=ERRORCODE` on stderr.
    static let nodeClient = """
    const net = require("net");
    net.setDefaultAutoSelectFamily(true);
    const socket = net.connect({ host: process.argv[2], port: Number(process.argv[3]) });
    socket.on("connect", () => { console.error("node=connected"); socket.end("hello"); });
    socket.on("data", () => {});
    socket.on("close", () => process.exit(0));
    socket.on("error", (error) => { console.error("node=" + (error.code || error.message)); process.exit(1); });
    """

    /// A scratch directory with the scripts and a hosts file naming `name` with both addresses.
    final class Scratch {
        let url: URL
        init(hostName: String, addresses: [String]) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-outcome-\(getpid())-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try OutcomeFixture.pythonClient.write(to: url.appendingPathComponent("he.py"), atomically: true, encoding: .utf8)
            try OutcomeFixture.nodeClient.write(to: url.appendingPathComponent("client.js"), atomically: true, encoding: .utf8)
            try ("127.0.0.1 localhost\n" + addresses.map { "\($0) \(hostName)\n" }.joined())
                .write(to: url.appendingPathComponent("hosts"), atomically: true, encoding: .utf8)
        }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    /// The command, run with the scratch hosts file as /etc/hosts in a mount namespace of its own.
    static func withPrivateHosts(_ scratch: Scratch, _ command: [String]) -> [String] {
        ["/usr/bin/unshare", "-m", "/bin/sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"", scratch.path("hosts")] + command
    }

    /// A server process (he.py serve), running until stopped; `prefix` runs it elsewhere (ip netns exec).
    final class Server {
        let process = Process()
        init(_ scratch: Scratch, ports: [Int], reset: Bool = false, ipv4Loopback: Bool = false, prefix: [String] = []) throws {
            let command = prefix + [python3, scratch.path("he.py"), "serve"] + ports.map(String.init)
                + (reset ? ["--reset"] : []) + (ipv4Loopback ? ["--ipv4-loopback"] : [])
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            let ready = Pipe()
            process.standardOutput = ready
            try process.run()
            _ = ready.fileHandleForReading.availableData // "ready"
        }
        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static let python3: String = {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return "/usr/bin/env"
    }()

    /// Two namespaces joined by a veth pair: the client's (`client`) and the server's (`server`),
    /// with IPv4 10.218.N.1/.2 and IPv6 fd18:N::1/::2, and nftables rules in the server's.
    final class Namespaces {
        let suffix = String(getpid() % 100_000)
        let client: String, server: String
        let index = Int(getpid() % 200) + 20
        var clientV4: String { "10.218.\(index).1" }
        var serverV4: String { "10.218.\(index).2" }
        var serverV6: String { "fd18:\(index)::2" }

        init() throws {
            client = "sdtest-oc-a\(suffix)"
            server = "sdtest-oc-b\(suffix)"
            try ip("netns add \(client)")
            try ip("netns add \(server)")
            try ip("link add sdo\(suffix)a netns \(client) type veth peer name sdo\(suffix)b netns \(server)")
            for (ns, end, last) in [(client, "a", 1), (server, "b", 2)] {
                try ip("-n \(ns) link set lo up")
                try ip("-n \(ns) link set sdo\(suffix)\(end) up")
                try ip("-n \(ns) addr add 10.218.\(index).\(last)/24 dev sdo\(suffix)\(end)")
                try ip("-n \(ns) addr add fd18:\(index)::\(last)/64 dev sdo\(suffix)\(end) nodad")
            }
        }

        func ip(_ arguments: String) throws {
            let result = try runProgram("/usr/sbin/ip", arguments.split(separator: " ").map(String.init))
            guard result.status == 0 else { throw TraceFixtureError("ip \(arguments): \(result.stderr)") }
        }

        func inServer(_ command: [String]) throws {
            let result = try runProgram("/usr/sbin/ip", ["netns", "exec", server] + command)
            guard result.status == 0 else { throw TraceFixtureError("\(command): \(result.stderr)") }
        }

        func inClient(_ command: [String]) throws {
            let result = try runProgram("/usr/sbin/ip", ["netns", "exec", client] + command)
            guard result.status == 0 else { throw TraceFixtureError("\(command): \(result.stderr)") }
        }

        /// The server's firewall: IPv6 SYNs to `drop` vanish; those to `reject` get an ICMPv6 no-route.
        func firewall(drop: Int, reject: Int) throws {
            let rules = """
            table inet sdtest {
              chain input {
                type filter hook input priority 0;
                meta nfproto ipv6 tcp dport \(drop) drop
                meta nfproto ipv6 tcp dport \(reject) reject with icmpv6 type no-route
              }
            }
            """
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-outcome-\(suffix).nft")
            try rules.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            try inServer(["/usr/sbin/nft", "-f", file.path])
        }

        deinit {
            _ = try? runProgram("/usr/sbin/ip", ["netns", "del", client])
            _ = try? runProgram("/usr/sbin/ip", ["netns", "del", server])
        }
    }

    static func outcomes(_ lines: [[String: Any]]) -> [[String: Any]] {
        lines.filter { $0["event"] as? String == "outcome" }
    }

    /// The outcome of the connect to ADDRESS (its first one: the connect's own outcome).
    static func outcome(_ lines: [[String: Any]], address: String, port: Int, kinds: Set<String>) -> [String: Any]? {
        outcomes(lines).first { $0["address"] as? String == address && $0["port"] as? Int == port && kinds.contains($0["outcome"] as? String ?? "") }
    }

    static func clientResult(_ step: String, _ stderr: String) -> String? {
        for line in stderr.split(separator: "\n") where line.hasPrefix(step + "=") { return String(line.dropFirst(step.count + 1)) }
        return nil
    }
}
