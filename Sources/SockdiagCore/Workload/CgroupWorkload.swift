/// The workload a cgroup belongs to, read from its path alone (no D-Bus, no runtime API): the
/// container that holds it and the innermost systemd unit, either, both or neither.
///
/// Paths are relative to the cgroup v2 root, as /proc/PID/cgroup's `0::` line prints them
/// (`/system.slice/nginx.service`); a leading slash is optional.
public struct CgroupWorkload: Hashable, Sendable {
    /// The outermost container on the path (a container inside a container is named by its host's view).
    public let container: WorkloadContainer?
    /// The innermost systemd unit that is not itself the container's scope: the unit the process runs
    /// in, inside the container when the container runs its own systemd.
    public let unit: SystemdUnit?

    public init(container: WorkloadContainer? = nil, unit: SystemdUnit? = nil) {
        self.container = container
        self.unit = unit
    }

    public init(cgroupPath path: String) {
        let components = path.split(separator: "/").map(String.init)
        var container: WorkloadContainer?
        var unit: SystemdUnit?
        var userManager: UInt32?
        for index in components.indices {
            let ancestors = components[..<index]
            let component = components[index]
            let cgroup = "/" + components[...index].joined(separator: "/")
            if container == nil, let found = WorkloadContainer(component: component, ancestors: ancestors, cgroup: cgroup) {
                container = found
                continue
            }
            if let uid = SystemdUnit.userManagerUID(component) { userManager = uid }
            if let found = SystemdUnit(cgroupComponent: component, cgroup: cgroup, userManager: userManager) {
                unit = found
            }
        }
        self.init(container: container, unit: unit)
    }

    /// From the text of /proc/PID/cgroup: the cgroup v2 line (`0::/path`) when it names a cgroup,
    /// else systemd's v1 hierarchy (`1:name=systemd:/path`) of a hybrid layout.
    public init(procCgroup text: String) {
        self.init(cgroupPath: Self.cgroupPath(procCgroup: text))
    }

    /// The path /proc/PID/cgroup gives: the v2 line unless it is the root and a `name=systemd`
    /// v1 line names more; `/` when neither says anything.
    public static func cgroupPath(procCgroup text: String) -> String {
        var unified: Substring?, systemd: Substring?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("0::") { unified = line.dropFirst(3) }
            if let range = line.firstRange(of: ":name=systemd:") { systemd = line[range.upperBound...] }
        }
        return (unified.flatMap { $0 == "/" ? nil : $0 } ?? systemd).map(String.init) ?? "/"
    }

    /// For text beside a process: `nginx.service`, `docker 0123456789ab`,
    /// `podman 0123456789ab nginx.service`; empty when the path names nothing.
    public var label: String {
        [container?.label, unit?.name].compactMap { $0 }.joined(separator: " ")
    }

    public var isEmpty: Bool { container == nil && unit == nil }
}
