#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The network namespace a live compare-wire captures in: the one `--netns` names, else the
/// target's own when it differs from sockdiag's (a container's eth0 is the wire the container
/// sees). The capture socket is opened inside it and keeps it after sockdiag's thread returns.
public struct CaptureNamespace: Sendable {
    /// A path that opens it: /run/netns/NAME, /proc/PID/ns/net, /proc/self/ns/net for `host`.
    public let path: String
    /// `NAME (net:[INODE])` for an `ip netns` name, else `net:[INODE]`.
    public let label: String

    /// `--netns host|NAME|PATH` when given; else the namespace of the first of `targetProcesses`
    /// when it is not sockdiag's own; nil keeps the capture in sockdiag's namespace.
    public static func choose(netns: String?, targetProcesses: [Int32]) throws(SockdiagError) -> CaptureNamespace? {
        if let netns {
            let path = netns == "host" ? "/proc/self/ns/net" : BindCheckNamespace.path(for: netns)
            guard let inode = inode(path) else {
                throw .invalidInput(netns.contains("/") ? "no network namespace at '\(path)'"
                                    : "no network namespace named '\(netns)' (no \(path); 'ip netns list' shows the names)")
            }
            return CaptureNamespace(path: path, label: label(inode))
        }
        guard let own = inode("/proc/self/ns/net") else { return nil }
        for pid in targetProcesses {
            let path = "/proc/\(pid)/ns/net"
            guard let inode = inode(path) else { continue }
            return inode == own ? nil : CaptureNamespace(path: path, label: label(inode))
        }
        return nil
    }

    /// Runs `body` with this thread in the namespace, then returns the thread to its own.
    public func entered<T>(_ body: () throws -> T) throws -> T {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw SockdiagError.system(call: "open", errno: Errno(errno), context: "/proc/thread-self/ns/net") }
        defer { close(home) }
        try BindCheckNamespace.enter(path)
        defer { _ = BindCheckNamespace.setnsFunction?(home, BindCheckNamespace.cloneNewNet) }
        return try body()
    }

    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    static func label(_ inode: UInt64) -> String {
        let name = SystemFile.entryNames("/run/netns").first { !$0.hasPrefix(".") && Self.inode("/run/netns/\($0)") == inode }
        return name.map { "\($0) (net:[\(inode)])" } ?? "net:[\(inode)]"
    }
}
