import Foundation
import XCTest

/// Cgroup directories laid out as systemd, Docker, Podman and the kubelet lay them out, under one
/// directory of the test's own at the top of the cgroup v2 mount, with Python senders placed in
/// them (in network namespaces of their own where the runtime gives one). `cleanUp()` stops every
/// process and removes every cgroup and namespace it made.
final class WorkloadLab {
    /// `sdtest-workload-PID-RANDOM` under the cgroup v2 mount.
    let root: String
    let tag: String
    private var cgroups: [String] = []
    private var namespaces: [String] = []
    private var processes: [Process] = []

    init() throws {
        tag = "\(getpid())\(UInt32.random(in: 0..<100_000))"
        root = "\(TraceFixture.cgroupRoot)/sdtest-workload-\(tag)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: false)
        cgroups.append(root)
    }

    /// A 64-hex-digit container ID starting with `prefix` (hex), the rest from the lab's tag.
    func containerID(_ prefix: String) -> String {
        let digits = String(tag.unicodeScalars.map { Character(String(Int($0.value) % 16, radix: 16)) })
        return String((prefix + digits + String(repeating: "0", count: 64)).prefix(64))
    }

    /// Makes `relative` (and its parents) under the lab's root; returns the absolute path.
    @discardableResult
    func cgroup(_ relative: String) throws -> String {
        try makeCgroupDirectories(relative, under: root, made: &cgroups)
    }

    /// A network namespace with its loopback up, as a container runtime gives one.
    func namespace() throws -> String {
        let name = "sdtest-wl-\(tag)-\(namespaces.count)"
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["netns", "add", name]).status, 0)
        namespaces.append(name)
        XCTAssertEqual(try runProgram("/usr/sbin/ip", ["-n", name, "link", "set", "lo", "up"]).status, 0)
        return name
    }

    /// A Python process that moves itself into `cgroup` (as a runtime's init would be placed), then
    /// sends a UDP datagram from an AF_INET6 socket to [::ffff:127.0.0.1]:port every 20 ms for a
    /// minute. Once the file `forkWhen` exists it forks one child that sends to port+2 five times.
    /// Returns its pid once it is in the cgroup.
    func sender(in cgroup: String, netns: String? = nil, port: Int, forkWhen: String? = nil) throws -> Int32 {
        let script = """
        import os, socket, sys, time
        open(sys.argv[1] + "/cgroup.procs", "w").write(str(os.getpid()))
        print(os.getpid(), flush=True)
        port, go, forked = int(sys.argv[2]), sys.argv[3], False
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        for i in range(3000):
            s.sendto(b"x", ("::ffff:127.0.0.1", port))
            if go and not forked and os.path.exists(go):
                forked = True
                if os.fork() == 0:
                    c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                    for j in range(5):
                        c.sendto(b"y", ("::ffff:127.0.0.1", port + 2)); time.sleep(0.02)
                    os._exit(0)
            time.sleep(0.02)
        """
        var command = ["python3", "-c", script, cgroup, String(port), forkWhen ?? ""]
        if let netns { command = ["nsenter", "--net=/run/netns/\(netns)"] + command }
        let process = Process()
        let line = try process.startAndReadFirstLine(command, input: Pipe(), output: Pipe())
        processes.append(process)
        guard let pid = Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TraceFixtureError("the sender in \(cgroup) did not start: \(line)")
        }
        return pid
    }

    func stop(_ pid: Int32) {
        kill(pid, SIGKILL)
        for process in processes where process.processIdentifier == pid { process.waitUntilExit() }
    }

    func cleanUp() {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
        // Children of the senders (the forked one) end on their own within 0.1 s.
        for path in cgroups.reversed() { TraceFixture.removeCgroup(path) }
        for name in namespaces { _ = try? runProgram("/usr/sbin/ip", ["netns", "delete", name]) }
    }
}
