import Foundation
import SockdiagCore
import SockdiagSystem

/// The kernel-differential test's laboratory: network namespace A, where the holders, bind-check
/// and the local clients live, and namespace B, whose clients arrive across a veth pair. A socket
/// keeps the namespace it was made in, so one thread switches between them with setns(2) (which
/// moves only the calling thread) and every socket of a case is made on that thread.
final class TruthLab {
    let suffix: String
    let nsA: String, nsB: String
    let vethA: String, vethB: String
    private let fdA: Int32, fdB: Int32, fdHome: Int32
    static let v4A = IPv4Address(10, 203, 0, 1), v4B = IPv4Address(10, 203, 0, 2)
    static let v6A = try! IPv6Address(parsing: "fd00:203::1"), v6B = try! IPv6Address(parsing: "fd00:203::2")
    /// Case ports run upwards from here; clients of namespace A take theirs from 61000 up.
    private var nextPort = 10_000

    init() throws {
        suffix = "\(getpid())\(Int.random(in: 100...999))"
        nsA = "sdtruthA\(suffix)"
        nsB = "sdtruthB\(suffix)"
        vethA = "sdtA\(suffix)"
        vethB = "sdtB\(suffix)"
        for (ns, _) in [(nsA, 0), (nsB, 0)] {
            try TruthLab.ip(["netns", "add", ns])
            try TruthLab.ip(["-n", ns, "link", "set", "lo", "up"])
            // No link-local addresses on the veths: the lab's interfaces carry only the addresses given here.
            try TruthLab.sysctl(ns, "net/ipv6/conf/default/addr_gen_mode", "1")
            try TruthLab.sysctl(ns, "net/ipv4/icmp_ratelimit", "0")
            try TruthLab.sysctl(ns, "net/ipv6/icmp/ratelimit", "0")
            try TruthLab.sysctl(ns, "net/ipv4/ip_local_port_range", "61000 65000")
        }
        try TruthLab.ip(["-n", nsA, "link", "add", vethA, "type", "veth", "peer", "name", vethB, "netns", nsB])
        try TruthLab.ip(["-n", nsA, "addr", "add", "\(TruthLab.v4A)/24", "dev", vethA])
        try TruthLab.ip(["-n", nsA, "addr", "add", "\(TruthLab.v6A)/64", "dev", vethA, "nodad"])
        try TruthLab.ip(["-n", nsB, "addr", "add", "\(TruthLab.v4B)/24", "dev", vethB])
        try TruthLab.ip(["-n", nsB, "addr", "add", "\(TruthLab.v6B)/64", "dev", vethB, "nodad"])
        try TruthLab.ip(["-n", nsA, "link", "set", vethA, "up"])
        try TruthLab.ip(["-n", nsB, "link", "set", vethB, "up"])
        fdHome = Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        fdA = Glibc.open("/run/netns/\(nsA)", O_RDONLY | O_CLOEXEC)
        fdB = Glibc.open("/run/netns/\(nsB)", O_RDONLY | O_CLOEXEC)
        guard fdHome >= 0, fdA >= 0, fdB >= 0 else { throw HolderError(description: "cannot open the lab's namespaces") }
        enterA()
    }

    func close() {
        _ = TruthSys.setns(fdHome)
        for fd in [fdA, fdB, fdHome] { _ = Glibc.close(fd) }
        _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", nsA])
        _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", nsB])
    }

    func enterA() { precondition(TruthSys.setns(fdA) == 0, "setns A") }

    /// Runs `body` in namespace B, back in A afterwards.
    func inB<T>(_ body: () -> T) -> T {
        precondition(TruthSys.setns(fdB) == 0, "setns B")
        defer { enterA() }
        return body()
    }

    /// A port no earlier case of this lab used.
    func freshPort() -> SockdiagCore.Port {
        if nextPort > 60_000 { nextPort = 10_000 }
        defer { nextPort += 1 }
        return SockdiagCore.Port(UInt16(nextPort))
    }

    static func ip(_ arguments: [String]) throws {
        let result = try runProgram("/usr/bin/env", ["ip"] + arguments)
        guard result.status == 0 else { throw HolderError(description: "ip \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    static func sysctl(_ ns: String, _ key: String, _ value: String) throws {
        let result = try runProgram("/usr/bin/env", ["ip", "netns", "exec", ns, "sh", "-c", "echo '\(value)' > /proc/sys/\(key)"])
        guard result.status == 0 else { throw HolderError(description: "sysctl \(key) in \(ns): \(result.stderr)") }
    }
}

/// The few system calls the lab makes directly.
enum TruthSys {
    private static func symbol<T>(_ name: String, as type: T.Type) -> T {
        let handle = dlopen(nil, RTLD_NOW)
        return unsafeBitCast(dlsym(handle, name)!, to: type)
    }

    static let setnsCall = symbol("setns", as: (@convention(c) (Int32, Int32) -> Int32).self)
    /// setfsuid(2) changes only the calling thread: a socket made between two calls belongs to
    /// that uid (sk_uid), as one made by a process running as that user.
    static let setfsuidCall = symbol("setfsuid", as: (@convention(c) (UInt32) -> Int32).self)

    static func setns(_ fd: Int32) -> Int32 { setnsCall(fd, 0x4000_0000) }

    static func socket(_ family: AddressFamily, _ transport: TransportProtocol, uid: UInt32 = 0) -> Int32 {
        if uid != 0 { _ = setfsuidCall(uid) }
        defer { if uid != 0 { _ = setfsuidCall(0) } }
        let type = transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        return Glibc.socket(family.socketFamilyValue, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    static func set(_ fd: Int32, _ level: Int32, _ name: Int32, _ on: Bool) -> Bool {
        var value: Int32 = on ? 1 : 0
        return setsockopt(fd, level, name, &value, 4) == 0
    }

    static func bindToDevice(_ fd: Int32, _ name: String) -> Bool {
        name.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(name.utf8.count + 1)) == 0 }
    }

    static func inode(_ fd: Int32) -> UInt64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? UInt64(st.st_ino) : 0
    }

    /// Closes without leaving TIME-WAIT behind (SO_LINGER 0 sends a reset instead of FIN).
    static func closeAtOnce(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        Glibc.close(fd)
    }
}
