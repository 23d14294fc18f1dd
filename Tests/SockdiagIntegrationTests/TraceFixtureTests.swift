import Foundation
import XCTest

/// Shared pieces of the trace tests: a dual-stack client, test cgroups, and what must hold in
/// every trace of that client.
enum TraceFixture {
    static let cgroupRoot: String = {
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in mountinfo.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count, fields[dash + 1] == "cgroup2" { return String(fields[4]) }
        }
        return "/sys/fs/cgroup"
    }()

    /// A port in 47000-47999 that is free for TCP and UDP on [::] right now (other suites use the
    /// same range), starting from a spot that differs per test and process.
    static func port(_ offset: Int) -> Int {
        let start = (Int(getpid()) % 90) * 10 + offset
        for step in 0..<1000 {
            let candidate = 47000 + (start + step * 7) % 1000
            if isFree(candidate, Int32(SOCK_STREAM.rawValue)) && isFree(candidate, Int32(SOCK_DGRAM.rawValue)) { return candidate }
        }
        return 47000 + start
    }

    private static func isFree(_ port: Int, _ type: Int32) -> Bool {
        let fd = socket(AF_INET6, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var off: Int32 = 0
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
        }
    }

    /// A client that listens dual-stack on [::]:PORT (TCP and UDP), then connects through AF_INET6 to
    /// ::ffff:127.0.0.1, through AF_INET to 127.0.0.1 and through AF_INET6 to ::1, and sends UDP from an
    /// AF_INET6 socket to ::ffff:127.0.0.1. Prints `pid=N` and each client socket's local port on stderr.
    static func clientScript() throws -> String {
        let path = traceClientScriptPath
        // Removed when the test process exits, so runs leave nothing in the temporary directory.
        atexit { unlink(traceClientScriptPath) }
        try """
        import socket, os, sys
        port = int(sys.argv[1])
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        listener.bind(("::", port))
        listener.listen(8)
        receiver = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        receiver.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        receiver.bind(("::", port))
        print("pid=%d" % os.getpid(), file=sys.stderr)
        def tcp(name, family, address):
            client = socket.socket(family, socket.SOCK_STREAM)
            client.connect((address, port))
            client.sendall(b"hello")
            accepted, _ = listener.accept()
            accepted.recv(5)
            print("%s=%d" % (name, client.getsockname()[1]), file=sys.stderr)
            accepted.close()
            client.close()
        tcp("mapped", socket.AF_INET6, "::ffff:127.0.0.1")
        tcp("ipv4", socket.AF_INET, "127.0.0.1")
        tcp("ipv6", socket.AF_INET6, "::1")
        udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        udp.sendto(b"query", ("::ffff:127.0.0.1", port))
        receiver.recv(16)
        print("udp=%d" % udp.getsockname()[1], file=sys.stderr)
        sys.stderr.flush()
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func clientValue(_ name: String, _ stderr: String) -> Int? {
        for line in stderr.split(separator: "\n") where line.hasPrefix("\(name)=") { return Int(line.dropFirst(name.count + 1)) }
        return nil
    }

    static func clientPid(_ stderr: String) -> Int32? { clientValue("pid", stderr).map(Int32.init) }

    /// What every trace of the client must show.
    static func assertDualStackStory(_ lines: [[String: Any]], pid: Int32, port: Int,
                                     file: StaticString = #filePath, line: UInt = #line) {
        func event(_ description: String, _ predicate: ([String: Any]) -> Bool) -> [String: Any]? {
            let found = lines.first(where: predicate)
            if found == nil { XCTFail("no \(description) in the trace:\n\(lines)", file: file, line: line) }
            return found
        }
        func isCall(_ e: [String: Any], _ hook: String, _ family: String, _ address: String, _ kind: String) -> Bool {
            e["hook"] as? String == hook && e["socket_family"] as? String == family && e["address"] as? String == address
                && e["class"] as? String == kind && e["port"] as? Int == port && e["pid"] as? Int == Int(pid)
        }
        let mapped = event("connect6 ipv4-mapped") { isCall($0, "connect6", "inet6", "::ffff:127.0.0.1", "ipv4-mapped") }
        XCTAssertEqual(mapped?["ipv4"] as? String, "127.0.0.1", file: file, line: line)
        XCTAssertEqual(mapped?["protocol"] as? String, "tcp", file: file, line: line)
        let plain = event("connect4") { isCall($0, "connect4", "inet", "127.0.0.1", "ipv4") }
        let native = event("connect6 ipv6") { isCall($0, "connect6", "inet6", "::1", "ipv6") }
        let send = event("sendmsg4 from inet6") { isCall($0, "sendmsg4", "inet6", "::ffff:127.0.0.1", "ipv4-mapped") }
        XCTAssertEqual(send?["event"] as? String, "sendmsg", file: file, line: line)
        XCTAssertEqual(send?["protocol"] as? String, "udp", file: file, line: line)
        XCTAssertEqual(send?["hook_address"] as? String, "127.0.0.1", file: file, line: line)
        _ = event("post_bind6 of the listener") { $0["hook"] as? String == "post_bind6" && $0["port"] as? Int == port && $0["address"] as? String == "::" }

        func egress(of call: [String: Any]?, _ family: String, _ wire: String, _ remote: String) {
            guard let cookie = call?["cookie"] as? Int else { return }
            let records = lines.filter { $0["event"] as? String == "egress" && $0["cookie"] as? Int == cookie }
            XCTAssertEqual(records.count, 2, "first-seen and final egress for cookie \(cookie)", file: file, line: line)
            for record in records {
                XCTAssertEqual(record["socket_family"] as? String, family, file: file, line: line)
                XCTAssertEqual(record["wire_protocol"] as? String, wire, file: file, line: line)
                XCTAssertEqual(record["remote_address"] as? String, remote, file: file, line: line)
                XCTAssertEqual(record["remote_port"] as? Int, port, file: file, line: line)
                XCTAssertEqual(record["pid"] as? Int, Int(pid), file: file, line: line)
            }
            XCTAssertEqual(records.last?["final"] as? Bool, true, file: file, line: line)
            XCTAssertGreaterThanOrEqual(records.last?["packets"] as? Int ?? 0, 1, file: file, line: line)
        }
        egress(of: mapped, "inet6", "ipv4", "127.0.0.1")
        egress(of: plain, "inet", "ipv4", "127.0.0.1")
        egress(of: native, "inet6", "ipv6", "::1")
        egress(of: send, "inet6", "ipv4", "127.0.0.1")
    }

    static func makeCgroup(_ name: String) throws -> String {
        let path = "\(cgroupRoot)/sockdiag-test-trace-\(name)-\(getpid())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    static func removeCgroup(_ path: String) {
        for _ in 0..<100 where rmdir(path) != 0 && errno == EBUSY { usleep(20_000) }
    }

    /// Programs attached to exactly this cgroup, as bpftool lists them.
    static func attachedPrograms(_ cgroup: String) throws -> Int {
        let result = try runProgram("/usr/sbin/bpftool", ["cgroup", "show", cgroup])
        return result.stdout.split(separator: "\n").filter { $0.first?.isNumber ?? false }.count
    }

    /// The whole cgroup tree's attachments and the cgroup directories, to compare before and after.
    static func snapshot() throws -> [String] {
        let tree = try runProgram("/usr/sbin/bpftool", ["cgroup", "tree", cgroupRoot]).stdout
            .split(separator: "\n").map(String.init).filter { !$0.contains("sockdiag-test-trace-") }
        let directories = try FileManager.default.contentsOfDirectory(atPath: cgroupRoot).filter { $0.hasPrefix("sockdiag-trace-") }
        return tree + directories
    }

    static func waitUntilAttached(_ cgroup: String, programs: Int, timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try attachedPrograms(cgroup) < programs {
            guard Date() < deadline else { throw TraceFixtureError("sockdiag trace did not attach to \(cgroup) within \(timeout) s") }
            usleep(20_000)
        }
    }

    final class Output: @unchecked Sendable {
        var stdout = Data()
        var stderr = Data()
        let group = DispatchGroup()
    }

    static var outputs: [Int32: Output] = [:]

    /// Starts sockdiag in the background, its output collected for `stop`/`collect`.
    static func startTrace(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Sockdiag.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let output = Output()
        try process.run()
        output.group.enter()
        DispatchQueue.global().async { output.stdout = out.fileHandleForReading.readDataToEndOfFile(); output.group.leave() }
        output.group.enter()
        DispatchQueue.global().async { output.stderr = err.fileHandleForReading.readDataToEndOfFile(); output.group.leave() }
        outputs[process.processIdentifier] = output
        return process
    }

    static func collect(_ process: Process) -> CommandResult {
        let output = outputs.removeValue(forKey: process.processIdentifier)
        output?.group.wait()
        return CommandResult(status: process.terminationStatus,
                             stdout: String(decoding: output?.stdout ?? Data(), as: UTF8.self),
                             stderr: String(decoding: output?.stderr ?? Data(), as: UTF8.self))
    }

    static func stop(_ process: Process, signal: Int32) throws -> CommandResult {
        usleep(200_000) // let the last events reach the ring buffer reader
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            XCTFail("sockdiag trace did not stop on signal \(signal)")
        }
        process.waitUntilExit()
        return collect(process)
    }
}

struct TraceFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private let traceClientScriptPath = NSTemporaryDirectory() + "sockdiag-trace-client-\(getpid()).py"
