import Foundation
import XCTest

/// A dual-stack client (and optionally its own listener), as a Python script: connects through
/// AF_INET6 to ::ffff:V4, through AF_INET to V4 and through AF_INET6 to V6, sends a few bytes on
/// each, and prints one JSON line with its pid and the local port of each connection.
let compareWireClientScript = #"""
import json, os, socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
def listener():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(16)
    return s
if mode == "serve":
    s = listener()
    print("ready", flush=True)
    while True:
        c, _ = s.accept(); c.recv(64); c.sendall(b"bye"); c.close()
v4, v6 = sys.argv[3], sys.argv[4]
srv = listener() if mode == "connect-local" else None
ports = {}
for name, family, address in [("mapped", socket.AF_INET6, "::ffff:" + v4), ("ipv4", socket.AF_INET, v4), ("ipv6", socket.AF_INET6, v6)]:
    c = socket.socket(family, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect((address, port))
    a = srv.accept()[0] if srv else None
    c.sendall(b"hello")
    if a: a.recv(64); a.sendall(b"bye")
    c.recv(64)
    ports[name] = c.getsockname()[1]
    c.close()
    if a: a.close()
print(json.dumps({"client": os.getpid(), "ports": ports}), flush=True)
time.sleep(0.2)
"""#

/// A scratch directory for one test, removed afterwards.
final class WireScratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-wire-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try compareWireClientScript.write(to: file("client.py"), atomically: true, encoding: .utf8)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    func path(_ name: String) -> String { file(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// tcpdump writing a capture file in the background, delivering each packet at once. A short
/// snapshot length and a 16 MiB buffer: with lo's 64 KiB MTU, tcpdump's default ring holds only a
/// handful of full-size slots and drops packets when the machine is busy.
final class WireTcpdump {
    let process = Process()
    let errorPipe = Pipe()

    /// `options`: more of tcpdump's own (a timestamp precision, say).
    init(interface: String, filter: String, output: String, namespace: String? = nil, snapshot: Int = 512, options: [String] = []) throws {
        let tcpdump = ["/usr/bin/tcpdump", "-Z", "root", "-i", interface, "--immediate-mode", "-U", "-s", String(snapshot), "-B", "16384"]
            + options + ["-w", output, filter]
        process.executableURL = URL(fileURLWithPath: namespace == nil ? tcpdump[0] : "/usr/sbin/ip")
        process.arguments = namespace.map { ["netns", "exec", $0] + tcpdump } ?? Array(tcpdump.dropFirst())
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // tcpdump says "listening on" once its filter is attached.
        var seen = Data()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains("listening on") {
            seen += errorPipe.fileHandleForReading.availableData
        }
    }

    func stop() {
        usleep(300_000)
        process.terminate()
        process.waitUntilExit()
    }
}

/// The flows of a compare-wire JSON report whose wire side uses `port`.
func wireFlows(_ report: Any?, port: Int) -> [[String: Any]] {
    let flows = ((report as? [String: Any])?["flows"] as? [[String: Any]]) ?? []
    return flows.filter {
        let wire = $0["wire"] as? [String: Any]
        let kernel = $0["kernel"] as? [String: Any]
        return wire?["dport"] as? Int == port || wire?["sport"] as? Int == port || kernel?["port"] as? Int == port
    }
}

/// The client's `{"client": pid, "ports": {...}}` line, from whatever output it went to.
func clientLine(_ text: String) -> (pid: Int, ports: [String: Int])? {
    for line in text.split(separator: "\n") where line.hasPrefix("{\"client\"") {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let pid = object["client"] as? Int, let ports = object["ports"] as? [String: Int] else { continue }
        return (pid, ports)
    }
    return nil
}

/// Checks the three flows of one client: mapped, plain IPv4, native IPv6, with its pid and the
/// wire addresses.
func assertDualStackFlows(_ flows: [[String: Any]], client: (pid: Int, ports: [String: Int]), v4: String, v6: String,
                          file: StaticString = #filePath, line: UInt = #line) {
    let expected: [(String, String, String, String)] = [
        ("mapped", "ipv4-mapped", "inet6", "ipv4"), ("ipv4", "same", "inet", "ipv4"), ("ipv6", "same", "inet6", "ipv6"),
    ]
    for (name, verdict, family, wireProtocol) in expected {
        guard let localPort = client.ports[name] else { XCTFail("client gave no \(name) port", file: file, line: line); continue }
        guard let flow = flows.first(where: { ($0["wire"] as? [String: Any])?["sport"] as? Int == localPort }) else {
            XCTFail("no \(name) flow from port \(localPort) in \(flows)", file: file, line: line); continue
        }
        let wire = flow["wire"] as? [String: Any] ?? [:]
        let kernel = flow["kernel"] as? [String: Any] ?? [:]
        XCTAssertEqual(flow["verdict"] as? String, verdict, "\(name): \(flow)", file: file, line: line)
        XCTAssertEqual(flow["pid"] as? Int, client.pid, "\(name)", file: file, line: line)
        XCTAssertEqual(kernel["socket_family"] as? String, family, "\(name)", file: file, line: line)
        XCTAssertEqual(wire["protocol"] as? String, wireProtocol, "\(name)", file: file, line: line)
        XCTAssertEqual(wire["dst"] as? String, wireProtocol == "ipv4" ? v4 : v6, "\(name)", file: file, line: line)
        XCTAssertEqual(kernel["address"] as? String, name == "mapped" ? "::ffff:" + v4 : name == "ipv4" ? v4 : v6,
                       "\(name)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(wire["packets"] as? Int ?? 0, 6, "\(name)", file: file, line: line)
    }
}

let python3Path: String = {
    for candidate in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
    }
    return "python3"
}()
