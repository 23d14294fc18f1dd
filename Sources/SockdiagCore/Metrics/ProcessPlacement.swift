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

    /// From the text of /proc/PID/cgroup: the cgroup v2 line (`0::/path`) when it names a cgroup,
    /// else systemd's v1 hierarchy (`1:name=systemd:/path`) of a hybrid layout.
    public init(procCgroup text: String) {
        var unified: Substring?, systemd: Substring?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("0::") { unified = line.dropFirst(3) }
            if let range = line.firstRange(of: ":name=systemd:") { systemd = line[range.upperBound...] }
        }
        let path = (unified.flatMap { $0 == "/" ? nil : $0 } ?? systemd).map(String.init) ?? ""
        self.init(cgroupPath: path)
    }

    /// From a cgroup path such as `/system.slice/docker-0123abcd....scope`.
    public init(cgroupPath path: String) {
        let parts = path.split(separator: "/").map(String.init)
        for (index, part) in parts.enumerated() {
            // Docker and Podman under systemd, containerd and CRI-O under Kubernetes.
            for prefix in ["docker-", "libpod-", "cri-containerd-", "crio-"] where part.hasPrefix(prefix) && part.hasSuffix(".scope") {
                let id = part.dropFirst(prefix.count).dropLast(".scope".count)
                if Self.isContainerID(id) {
                    self.init(container: String(id.prefix(12)))
                    return
                }
            }
            // Docker with the cgroupfs driver (/docker/ID), Kubernetes pods (/kubepods/.../ID).
            if (parts.first == "docker" || parts.first?.hasPrefix("kubepods") == true) && index > 0 && Self.isContainerID(Substring(part)) {
                self.init(container: String(part.prefix(12)))
                return
            }
            // LXC: /lxc.payload.NAME or /lxc/NAME.
            if part.hasPrefix("lxc.payload.") {
                self.init(container: String(part.dropFirst("lxc.payload.".count)))
                return
            }
            if part == "lxc", index + 1 < parts.count {
                self.init(container: parts[index + 1])
                return
            }
        }
        let unit = parts.last { $0.hasSuffix(".service") || $0.hasSuffix(".scope") || $0.hasSuffix(".socket") }
        self.init(unit: unit)
    }

    static func isContainerID(_ text: Substring) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
