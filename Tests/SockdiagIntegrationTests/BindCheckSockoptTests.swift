import Foundation
import XCTest

/// The flags no other tool shows: SO_REUSEADDR, SO_REUSEPORT, SO_BINDTODEVICE and IPV6_V6ONLY of
/// every holder, read by the BPF socket iterators, and what they decide (ports 46140-46179).
final class BindCheckSockoptTests: XCTestCase {
    func report(_ args: [String]) throws -> [String: Any] {
        let result = try Sockdiag.run(["bind-check", "--json"] + args)
        return try XCTUnwrap(result.json as? [String: Any], result.stderr)
    }

    func testEveryCombinationReadsBackExactly() throws {
        try requirePrivileges()
        var port = 46140
        for udp in [false, true] {
            for reuseaddr in [false, true] {
                for reuseport in [false, true] {
                    for device in [nil, "lo"] as [String?] {
                        defer { port += 1 }
                        let port = try BindCheckPorts.free(port)
                        let holder = try BindCheckHolder("127.0.0.1", port, udp: udp, reuseaddr: reuseaddr, reuseport: reuseport, device: device)
                        defer { holder.stop() }
                        let doc = try report((udp ? ["--udp"] : []) + ["127.0.0.1", String(port)])
                        XCTAssertEqual(doc["owners_source"] as? String, "bpf_iter")
                        let socket = try XCTUnwrap((doc["sockets"] as? [[String: Any]])?.first, "port \(port)")
                        let label = "\(udp ? "udp" : "tcp") reuseaddr=\(reuseaddr) reuseport=\(reuseport) device=\(device ?? "-")"
                        XCTAssertEqual(socket["reuseaddr"] as? Bool, reuseaddr, label)
                        XCTAssertEqual(socket["reuseport"] as? Bool, reuseport, label)
                        XCTAssertEqual(socket["bound_device"] as? Bool, device != nil, label)
                        XCTAssertEqual(socket["bound_device_name"] as? String, device, label)
                    }
                }
            }
        }
        XCTAssertFalse(try report(["127.0.0.1", "46139"])["kernel"] as? String == "", "the report names the kernel")
    }

    /// The iterator's program is loaded by the kernel, which relocates it against the BTF it
    /// already holds: no run reads /sys/kernel/btf/vmlinux (5.5 MB that libbpf copied and indexed
    /// in the process on every run, most of bind-check's CPU), and the flags still read back.
    func testTheIteratorIsLoadedWithoutReadingTheKernelsBTF() throws {
        try requirePrivileges()
        let port = try BindCheckPorts.free(46185)
        let holder = try BindCheckHolder("127.0.0.1", port, reuseport: true, device: "lo")
        defer { holder.stop() }
        let opens = FileManager.default.temporaryDirectory.appendingPathComponent("sockdiag-opens-\(getpid()).strace").path
        defer { try? FileManager.default.removeItem(atPath: opens) }
        let result = try runProgram("/usr/bin/strace", ["-f", "-qq", "-e", "trace=open,openat,openat2", "-o", opens,
                                                        Sockdiag.executable.path, "bind-check", "--json", "127.0.0.1", String(port)])
        let doc = try XCTUnwrap(result.json as? [String: Any], result.stderr)
        XCTAssertEqual(doc["owners_source"] as? String, "bpf_iter")
        let socket = try XCTUnwrap((doc["sockets"] as? [[String: Any]])?.first)
        XCTAssertEqual(socket["reuseport"] as? Bool, true)
        XCTAssertEqual(socket["bound_device_name"] as? String, "lo")
        let opened = try String(contentsOfFile: opens, encoding: .utf8)
        XCTAssertTrue(opened.contains("/proc/sys/net/ipv6/bindv6only"), "the trace saw the run: \(opened.prefix(2000))")
        XCTAssertFalse(opened.contains("/sys/kernel/btf/vmlinux"), "the kernel's BTF was read in the process")
    }

    func testV6onlyOfUDPSocketsReadsBack() throws {
        try requirePrivileges()
        for (offset, v6only) in [false, true].enumerated() {
            let port = try BindCheckPorts.free(46160 + offset)
            let holder = try BindCheckHolder("::", port, udp: true, v6only: v6only)
            defer { holder.stop() }
            let doc = try report(["--udp", "::", String(port)])
            XCTAssertEqual((doc["sockets"] as? [[String: Any]])?.first?["v6only"] as? Bool, v6only)
        }
    }

    func testTheFlagDecidesTheTrialExplanation() throws {
        try requirePrivileges()
        let p1 = try BindCheckPorts.free(46165), p2 = try BindCheckPorts.free(46166)
        let plain = try BindCheckHolder("127.0.0.1", p1)
        let shared = try BindCheckHolder("127.0.0.1", p2, reuseport: true)
        defer { plain.stop(); shared.stop() }
        let trials = { (doc: [String: Any]) in (doc["trials"] as? [[String: Any]] ?? []).first { $0["reuseport"] as? Bool == true } }
        let refused = try XCTUnwrap(trials(try report(["127.0.0.1", String(p1)])))
        XCTAssertEqual(refused["result"] as? String, "EADDRINUSE")
        let why = ((refused["explanations"] as? [[String: Any]])?.first?["why"] as? String) ?? ""
        XCTAssertTrue(why.contains("it did not set SO_REUSEPORT"), why)
        let accepted = try XCTUnwrap(trials(try report(["127.0.0.1", String(p2)])))
        XCTAssertEqual(accepted["result"] as? String, "ok")
        XCTAssertEqual(accepted["conflicts"] as? [Int], [])
    }

    /// Two listeners on one address, each bound to its own device (lo and a veth in a
    /// test namespace): local clients arrive on lo, so only one of them ever gets them.
    func testDeviceBoundHoldersAndTheirReceivers() throws {
        try requirePrivileges()
        let namespace = "sdtest-bind-dev-\(getpid())"
        _ = try runProgram("/usr/bin/env", ["ip", "netns", "del", namespace])
        XCTAssertEqual(try runProgram("/usr/bin/env", ["ip", "netns", "add", namespace]).status, 0)
        defer { _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", namespace]) }
        XCTAssertEqual(try runProgram("/usr/bin/env", ["ip", "-n", namespace, "link", "set", "lo", "up"]).status, 0)
        let veth = try runProgram("/usr/bin/env", ["ip", "-n", namespace, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        XCTAssertEqual(veth.status, 0, veth.stderr)
        let exec = ["ip", "netns", "exec", namespace]
        let onLo = try BindCheckHolder("0.0.0.0", 46170, device: "lo", prefix: exec)
        let onVeth = try BindCheckHolder("0.0.0.0", 46170, device: "veth0", prefix: exec)
        defer { onLo.stop(); onVeth.stop() }
        let doc = try report(["--netns", namespace, "0.0.0.0", "46170"])
        let sockets = doc["sockets"] as? [[String: Any]] ?? []
        XCTAssertEqual(Set(sockets.compactMap { $0["bound_device_name"] as? String }), ["lo", "veth0"])
        let now = (doc["receivers"] as? [[String: Any]] ?? []).first { $0["scenario"] as? String == "existing" && $0["client_destination"] as? String == "127.0.0.1" }
        XCTAssertEqual(now?["pid"] as? Int, onLo.pid)
        let plain = (doc["trials"] as? [[String: Any]] ?? []).first { $0["reuseaddr"] as? Bool == false && $0["reuseport"] as? Bool == false }
        XCTAssertEqual(plain?["result"] as? String, "EADDRINUSE", "an unbound socket collides with both")
        XCTAssertEqual((plain?["conflicts"] as? [Int])?.count, 2)
    }
}
