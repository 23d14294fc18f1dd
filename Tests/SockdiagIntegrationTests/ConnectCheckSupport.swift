import Foundation
import XCTest

/// A private /etc/hosts and /etc/gai.conf, with /etc/nsswitch.conf answering from files only and
/// /etc/resolv.conf pointing at 127.0.0.1, bind-mounted in a mount namespace made for each
/// command (unshare -m): nothing a test resolves can reach a DNS server.
final class PrivateResolver {
    let directory: URL

    init(hosts: String, gaiConf: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-resolver-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try hosts.write(to: directory.appendingPathComponent("hosts"), atomically: true, encoding: .utf8)
        try gaiConf.write(to: directory.appendingPathComponent("gai.conf"), atomically: true, encoding: .utf8)
        try "hosts: files\n".write(to: directory.appendingPathComponent("nsswitch.conf"), atomically: true, encoding: .utf8)
        try "nameserver 127.0.0.1\n".write(to: directory.appendingPathComponent("resolv.conf"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Runs `command` with the private files in place; the mounts end with the namespace.
    func run(_ command: [String], timeout: TimeInterval = 30) throws -> CommandResult {
        let d = directory.path
        let script = ["hosts", "gai.conf", "nsswitch.conf", "resolv.conf"].map { "mount --bind \(d)/\($0) /etc/\($0)" }
            .joined(separator: " && ") + " && exec \"$@\""
        return try runProgram("/usr/bin/unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh"] + command, timeout: timeout)
    }

    func sockdiag(_ arguments: [String]) throws -> CommandResult { try run([Sockdiag.executable.path] + arguments) }

    func json(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (CommandResult, [String: Any]) {
        let result = try sockdiag(["connect-check", "--json"] + arguments)
        let doc = try XCTUnwrap(result.json as? [String: Any], "no JSON: \(result.stderr)\(result.stdout)", file: file, line: line)
        return (result, doc)
    }

    /// `getent ahosts NAME`: glibc's order (AF_UNSPEC with AI_ADDRCONFIG), one line per address.
    func getentOrder(_ name: String) throws -> [String] {
        let result = try run(["getent", "ahosts", name])
        return result.stdout.split(separator: "\n").filter { $0.contains("STREAM") }.map { String($0.split(separator: " ")[0]) }
    }

    /// Node's net.connect: the address it reached, the addresses it tried (Node 20+), or its error.
    func node(_ host: String, _ port: Int, autoSelectFamily: Bool) throws -> [String: Any] {
        let script = """
        const net = require('net'); const [host, port] = process.argv.slice(1);
        const s = net.connect({host, port: +port});
        s.on('connect', () => { console.log(JSON.stringify({remote: s.remoteAddress, attempted: s.autoSelectFamilyAttemptedAddresses || null})); s.destroy(); });
        s.on('error', e => console.log(JSON.stringify({error: e.code, address: e.address || null})));
        """
        let flags = autoSelectFamily ? ["--network-family-autoselection"] : ["--no-network-family-autoselection"]
        let result = try run(["node"] + flags + ["-e", script, host, String(port)])
        return try XCTUnwrap(result.json as? [String: Any], "node: \(result.stdout) \(result.stderr)")
    }

    /// Python's socket.create_connection: the peer it reached, or the error.
    func python(_ host: String, _ port: Int) throws -> String {
        let script = "import socket,sys\ntry:\n s=socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2); print(s.getpeername()[0])\nexcept OSError as e: print('error', e.errno)"
        return try run(["python3", "-c", script, host, String(port)]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let java = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"

    /// Java's `new Socket(host, port)`: the address it connected to, or its exception.
    func java(_ host: String, _ port: Int, properties: [String] = []) throws -> String {
        let source = directory.appendingPathComponent("Connect.java")
        try """
        public class Connect {
          public static void main(String[] a) {
            try (java.net.Socket s = new java.net.Socket(a[0], Integer.parseInt(a[1]))) {
              System.out.println(s.getInetAddress().getHostAddress());
            } catch (Exception e) { System.out.println("error " + e.getClass().getSimpleName()); }
          }
        }
        """.write(to: source, atomically: true, encoding: .utf8)
        return try run([Self.java] + properties + [source.path, host, String(port)], timeout: 60).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// curl -v: the addresses it tried, in order, and the one it connected to.
    func curl(_ host: String, _ port: Int) throws -> (tried: [String], connected: String?) {
        let result = try run(["curl", "-sv", "--max-time", "2", "-o", "/dev/null", "http://\(host):\(port)/"])
        var tried: [String] = [], connected: String?
        for line in result.stderr.split(separator: "\n") {
            if let range = line.range(of: "Trying ") {
                var target = line[range.upperBound...].replacingOccurrences(of: "...", with: "")
                if let colon = target.lastIndex(of: ":") { target = String(target[..<colon]) }
                tried.append(target.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
            }
            if line.contains("Connected to"), let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")") {
                connected = String(line[line.index(after: open)..<close])
            }
        }
        return (tried, connected)
    }
}

/// A TCP server that accepts at once on each of its addresses and holds the connections:
/// python3, its own process with its own pid. `v6only` applies to IPv6 addresses.
final class AcceptingServer {
    let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    static let script = #"""
    import os, select, socket, sys
    port, listeners = int(sys.argv[1]), []
    for spec in sys.argv[2:]:
        spec, _, device = spec.partition('@')
        address, _, v6only = spec.partition('/')
        family = socket.AF_INET6 if ':' in address else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only or 0))
        if device: s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
        s.bind((address, port)); s.listen(64); listeners.append(s)
    print('ready', os.getpid(), flush=True)
    held = []
    while True:
        ready, _, _ = select.select(listeners + [sys.stdin], [], [])
        if sys.stdin in ready: break
        for s in ready: held.append(s.accept()[0])
    """#

    /// `addresses` like `127.0.0.1`, `::/1` (V6ONLY=1) or `::/0`, with `@DEVICE` for SO_BINDTODEVICE.
    init(port: Int, _ addresses: [String], prefix: [String] = []) throws {
        let line = try process.startAndReadFirstLine(prefix + ["python3", "-c", AcceptingServer.script, String(port)] + addresses,
                                                     input: input, output: output)
        let words = line.split(separator: " ")
        guard words.first == "ready", words.count == 2, let pid = Int(words[1].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            stop()
            throw HolderError(description: "server on \(addresses) port \(port) did not start")
        }
        self.pid = pid
    }

    /// The python process's own pid (under `ip netns exec` it is not the launcher's).
    private(set) var pid = 0

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }
}
