#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The cgroups of a hierarchy by id (what BPF programs report as a process's cgroup: the
/// directory's inode number), with their paths relative to its root and the workloads those name.
/// Built by one walk of the tree; an id not seen yet (a cgroup made since) walks it again, at most
/// every 100 ms, so a stream of unknown ids costs little.
public final class CgroupPaths {
    private let mountPoint: String
    private var byID: [UInt64: ProcessCgroup] = [:]
    private var lastWalkNs: UInt64 = 0

    public init(mountPoint: String) {
        self.mountPoint = mountPoint
    }

    public func cgroup(id: UInt64) -> ProcessCgroup? {
        if let known = byID[id] { return known }
        let now = monotonicNs()
        guard lastWalkNs == 0 || now - lastWalkNs >= 100_000_000 else { return nil }
        lastWalkNs = now
        for relative in CgroupTreeWalk.directories(under: mountPoint) {
            var info = stat()
            if stat(relative == "/" ? mountPoint : mountPoint + relative, &info) == 0 {
                byID[UInt64(info.st_ino)] = ProcessCgroup(path: relative)
            }
        }
        return byID[id]
    }
}
