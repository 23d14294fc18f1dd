#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The cgroup a live run attaches to: one the user named, or a transient one made for `-- CMD`
/// (`PREFIX-PID` under the cgroup v2 mount). `release()` removes what the run created: the
/// transient cgroup and any private cgroup2 mount.
public final class WatchedCgroup {
    public let hierarchy: CgroupHierarchy
    public let directory: CgroupDirectory
    /// Set for `-- CMD`: where the command is started.
    public let transient: TransientCgroup?

    /// `path` for `--cgroup PATH` (absolute, or relative to the cgroup v2 mount), or `command`
    /// for `-- CMD`, whose program is looked up before anything is created.
    public init(path: String?, command: [String]?, transientPrefix: String) throws(SockdiagError) {
        let hierarchy = try CgroupHierarchy.locate()
        do throws(SockdiagError) {
            if let path {
                directory = try CgroupDirectory.open(hierarchy.resolve(path))
                transient = nil
            } else if let command, let program = command.first {
                _ = try SpawnedCommand.resolveExecutable(program)
                TransientCgroup.removeStale(prefix: transientPrefix, under: hierarchy.mountPoint)
                let made = try TransientCgroup.create(named: "\(transientPrefix)-\(getpid())", under: hierarchy.mountPoint)
                directory = made.directory
                transient = made
            } else {
                throw SockdiagError.invalidInput("give --cgroup PATH or -- CMD")
            }
        } catch {
            hierarchy.release()
            throw error
        }
        self.hierarchy = hierarchy
    }

    public var isRoot: Bool { hierarchy.isRoot(directory) }

    public func release() {
        _ = transient?.remove()
        hierarchy.release()
    }
}
