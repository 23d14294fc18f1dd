#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The cgroup v2 hierarchy as this process sees it: the mount found in /proc/self/mountinfo, or a
/// private mount made for this run where none is visible (`ip netns exec` remounts /sys without
/// one). A private mount is removed by `release()`.
public final class CgroupHierarchy {
    public let mountPoint: String
    public var isPrivateMount: Bool { privateMount != nil }
    /// The directory of a private mount, locked while the run lives (see `RunScratch`).
    private let privateMount: RunScratch?
    private var released = false

    private init(mountPoint: String, privateMount: RunScratch? = nil) {
        self.mountPoint = mountPoint
        self.privateMount = privateMount
    }

    static let privateMountPrefix = "sockdiag-cgroup2"

    public static func locate(mountinfo: String = "/proc/self/mountinfo") throws(SockdiagError) -> CgroupHierarchy {
        // Private mount points of runs killed by SIGKILL (their mounts died with their namespaces).
        RunScratch.sweep(prefix: privateMountPrefix)
        guard let text = SystemFile.readString(mountinfo) else {
            throw .system(call: "open", errno: Errno(errno), context: "reading \(mountinfo)")
        }
        if let existing = CgroupMountInfo.cgroup2MountPoints(in: text).first(where: CgroupDirectory.isCgroup2) {
            return CgroupHierarchy(mountPoint: existing)
        }
        return try mountPrivate()
    }

    private static func mountPrivate() throws(SockdiagError) -> CgroupHierarchy {
        let scratch: RunScratch
        do { scratch = try RunScratch.directory(prefix: privateMountPrefix) } catch {
            throw .invalidInput("no cgroup v2 mount is visible, and a private one needs a directory: \(error)")
        }
        let path = scratch.path
        guard mount("cgroup2", path, "cgroup2", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), nil) == 0 else {
            let error = Errno(errno)
            scratch.remove()
            throw .system(call: "mount", errno: error, context: "no cgroup v2 mount is visible; mounting a private one at \(path)")
        }
        return CgroupHierarchy(mountPoint: path, privateMount: scratch)
    }

    /// `PATH` as the user gave it: absolute, or relative to the mount point.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return mountPoint + "/" + path
    }

    /// True when the directory is the hierarchy's root: every process on the host.
    public func isRoot(_ directory: CgroupDirectory) -> Bool {
        var a = stat(), b = stat()
        guard stat(mountPoint, &a) == 0, directory.withDescriptor({ fstat($0, &b) }) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// How deep the directory lies below the hierarchy's root (the root: 0), found by walking
    /// `..` up to the mount point; nil when it is not under this mount.
    public func level(of directory: CgroupDirectory) -> Int? {
        var root = stat()
        guard stat(mountPoint, &root) == 0 else { return nil }
        var up = ""
        for level in 0..<256 {
            var here = stat()
            guard directory.withDescriptor({ fstatat($0, up.isEmpty ? "." : up, &here, 0) }) == 0 else { return nil }
            if here.st_dev == root.st_dev && here.st_ino == root.st_ino { return level }
            if here.st_dev != root.st_dev { return nil }
            up += up.isEmpty ? ".." : "/.."
        }
        return nil
    }

    /// Unmounts and removes a private mount; nothing for a system mount. Safe to call twice.
    public func release() {
        guard let privateMount, !released else { return }
        released = true
        umount2(mountPoint, Int32(MNT_DETACH))
        privateMount.remove()
    }

    deinit { release() }
}
