import Foundation
import XCTest

/// Two python processes with connections that began before a run: `inside` (placed in a cgroup
/// the test made) listens on 127.0.0.1 and holds an AF_INET6 socket connected to
/// ::ffff:127.0.0.1 that sends every 50 ms; `outside` (not in the cgroup) is that connection's
/// peer and, every 100 ms, a client of inside's listener, whose accepted sockets are made during
/// the run.
let existingSocketsPeersScript = #"""
import socket, sys, threading, time, os
role = sys.argv[1]
if role == "outside":
    sink = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sink.bind(("127.0.0.1", 0)); sink.listen()
    print("ready", sink.getsockname()[1], flush=True)
    server_port = int(sys.stdin.readline())
    def drain():
        peer, _ = sink.accept()
        while peer.recv(4096): pass
    threading.Thread(target=drain, daemon=True).start()
    while True:
        try:
            c = socket.create_connection(("127.0.0.1", server_port)); c.recv(16); c.close()
        except OSError: pass
        time.sleep(0.1)
else:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0)); listener.listen(64)
    mapped = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    mapped.connect(("::ffff:127.0.0.1", int(sys.argv[2])))
    print("ready", listener.getsockname()[1], mapped.getsockname()[1], os.getpid(), flush=True)
    def serve():
        while True:
            a, _ = listener.accept(); a.sendall(b"hello"); a.close()
    threading.Thread(target=serve, daemon=True).start()
    while True:
        mapped.sendall(b"x"); time.sleep(0.05)
"""#

/// The two peers started, `inside` in its own cgroup under the cgroup v2 mount (found in
/// /proc/self/mountinfo); `stop()` ends both and removes the cgroup.
final class ExistingSocketsPeers {
    let cgroup: String
    let listenPort: Int
    let mappedPort: Int
    let insidePid: Int32
    private let outside = Process(), inside = Process()
    private let outsideInput = Pipe(), insideInput = Pipe()
    private let script: URL

    init(name: String) throws {
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        let mount = try XCTUnwrap(mountinfo.split(separator: "\n").first { $0.contains(" - cgroup2 ") }?
            .split(separator: " ").dropFirst(4).first.map(String.init), "no cgroup2 mount")
        cgroup = "\(mount)/sdtest-\(name)-\(getpid())"
        script = FileManager.default.temporaryDirectory.appendingPathComponent("sdtest-\(name)-\(getpid()).py")
        try existingSocketsPeersScript.write(to: script, atomically: true, encoding: .utf8)
        guard mkdir(cgroup, 0o755) == 0 else { throw POSIXError(.EEXIST) }
        let sinkLine = try outside.startAndReadFirstLine(["python3", script.path, "outside"], input: outsideInput, output: Pipe())
        let sinkPort = try XCTUnwrap(sinkLine.split(separator: " ").dropFirst().first.map(String.init), sinkLine)
        // `sh` moves itself into the cgroup, then becomes python.
        let ready = try inside.startAndReadFirstLine(
            ["sh", "-c", "echo $$ > \(cgroup)/cgroup.procs && exec python3 \(script.path) inside \(sinkPort)"],
            input: insideInput, output: Pipe()).split(separator: " ").dropFirst().compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard ready.count == 3 else { throw POSIXError(.EIO) }
        (listenPort, mappedPort, insidePid) = (ready[0], ready[1], Int32(ready[2]))
        outsideInput.fileHandleForWriting.write(Data("\(listenPort)\n".utf8))
        usleep(300_000)  // a few accepted connections and mapped sends before the run
    }

    func stop() {
        for process in [outside, inside] where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        removeCgroups([cgroup])
        try? FileManager.default.removeItem(at: script)
    }
}

/// Removes cgroup directories, children first as listed. A cgroup whose last process was just
/// reaped can still be busy for a moment (EBUSY): each is tried again for up to two seconds.
func removeCgroups(_ directories: [String]) {
    for directory in directories {
        let deadline = Date().addingTimeInterval(2)
        while rmdir(directory) != 0 && errno == EBUSY && Date() < deadline { usleep(20_000) }
    }
}
