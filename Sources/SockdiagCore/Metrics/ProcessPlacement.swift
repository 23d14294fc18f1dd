/// Where a process runs, as a fleet dashboard names it: its systemd unit, or its container. Read from
/// the process's cgroup path, the way systemd, Docker, Podman, containerd, CRI-O and LXC lay them out.
public struct ProcessPlacement: Hashable, Sendable {
    /// `nginx.service`, `session-3.scope`: the unit whose cgroup holds the process.
    public let unit: String?
    /// A container id (the first 12 hex digits, as `docker ps` shows it) or an LXC name.
    public let container: String?

    public init(unit: String? = nil, container: String? = nil) {
        self.unit = unit
        self.container = container
    }

    /// From the text of /proc/PID/cgroup (see `CgroupWorkload.cgroupPath(procCgroup:)`).
    public init(procCgroup text: String) {
        self.init(CgroupWorkload(procCgroup: text))
    }

    /// From a cgroup path such as `/system.slice/docker-0123abcd....scope`.
    public init(cgroupPath path: String) {
        self.init(CgroupWorkload(cgroupPath: path))
    }

    /// A container when the path names one, else the unit.
    public init(_ workload: CgroupWorkload) {
        if let container = workload.container {
            self.init(container: container.shortID)
        } else {
            self.init(unit: workload.unit?.name)
        }
    }
}
