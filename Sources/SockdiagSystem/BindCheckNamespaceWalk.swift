#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// One network namespace found on the host, by the identity of its nsfs inode.
public struct BindCheckNetworkNamespace: Hashable, Sendable {
    /// The nsfs inode number, as `ls -l /proc/PID/ns/net` shows it: `net:[4026531840]`.
    public let inode: UInt64
    /// A path that opens it: `/proc/PID/ns/net` or `/run/netns/NAME`.
    public let path: String
    /// A process inside it, if any.
    public let pid: Int32?
    /// Its `ip netns` name, if it has one.
    public let name: String?

    /// The name metrics go by: its `ip netns` name, else `net:[INODE]`; no pid, which changes.
    public var metricsLabel: String { name ?? "net:[\(inode)]" }

    public var label: String {
        var text = "net:[\(inode)]"
        if let name { text += " \(name)" }
        if let pid { text += " (pid \(pid))" }
        return text
    }
}

/// `--all-netns`: every network namespace that has a process (by /proc/PID/ns/net identity) or an
/// `ip netns` name, the current one first.
public enum BindCheckNamespaceWalk {
    public static func list(procRoot: String = "/proc") -> [BindCheckNetworkNamespace] {
        var seen: [UInt64: BindCheckNetworkNamespace] = [:]
        var order: [UInt64] = []
        func add(_ path: String, pid: Int32?, name: String?) {
            var info = stat()
            guard stat(path, &info) == 0 else { return }
            let inode = UInt64(info.st_ino)
            if let known = seen[inode] {
                seen[inode] = BindCheckNetworkNamespace(inode: inode, path: known.path, pid: known.pid ?? pid,
                                                        name: known.name ?? name)
                return
            }
            seen[inode] = BindCheckNetworkNamespace(inode: inode, path: path, pid: pid, name: name)
            order.append(inode)
        }
        // The current namespace is labelled with its first process other than this short-lived
        // run (pid 1's, for the initial namespace), so the label is the same from run to run.
        add("\(procRoot)/thread-self/ns/net", pid: nil, name: nil)
        let me = getpid()
        for name in SystemFile.entryNames(procRoot) {
            guard let pid = Int32(name), pid > 0, pid != me else { continue }
            add("\(procRoot)/\(pid)/ns/net", pid: pid, name: nil)
        }
        for name in SystemFile.entryNames("/run/netns") where !name.hasPrefix(".") {
            add("/run/netns/\(name)", pid: nil, name: name)
        }
        return order.compactMap { seen[$0] }
    }
}
