/// A container as its runtime lays out its cgroup: Docker (systemd and cgroupfs drivers), Podman,
/// containerd (Kubernetes and nerdctl), CRI-O and LXC.
public struct WorkloadContainer: Hashable, Sendable {
    public enum Runtime: String, Hashable, Sendable, CaseIterable {
        case docker, podman, containerd
        case crio = "cri-o"
        case lxc
    }

    public let runtime: Runtime
    /// The full 64-hex-digit ID (for LXC, the container's name).
    public let id: String
    /// The Kubernetes pod UID (dashed, as `kubectl get pod -o yaml` prints it) when a kubepods
    /// slice or directory names one.
    public let podUID: String?
    /// The container's own cgroup: the runtime's directory, above any child the runtime adds inside it
    /// (Podman's `/container`, a nested systemd's units).
    public let cgroup: String

    public init(runtime: Runtime, id: String, podUID: String? = nil, cgroup: String) {
        self.runtime = runtime
        self.id = id
        self.podUID = podUID
        self.cgroup = cgroup
    }

    /// The ID as `docker ps` shows it: the first 12 hex digits (an LXC name whole).
    public var shortID: String { runtime == .lxc ? id : String(id.prefix(12)) }

    /// `docker 0123456789ab`.
    public var label: String { "\(runtime.rawValue) \(shortID)" }

    /// Whether `prefix` could be typed for this container: the whole ID, or a prefix of it.
    public func idStarts(with prefix: String) -> Bool { id.hasPrefix(prefix.lowercased()) }

    /// The container a path component names, given the components above it; nil for anything else
    /// (conmon's `libpod-conmon-ID.scope`, a pod's slice, a plain directory).
    init?(component: String, ancestors: ArraySlice<String>, cgroup: String) {
        let pod = Self.podUID(in: ancestors)
        // systemd driver: RUNTIME-ID.scope.
        for (prefix, runtime) in Self.scopePrefixes where component.hasPrefix(prefix) && component.hasSuffix(".scope") {
            let id = component.dropFirst(prefix.count).dropLast(".scope".count)
            if Self.isFullID(id) {
                self.init(runtime: runtime, id: String(id), podUID: pod, cgroup: cgroup)
                return
            }
        }
        let parent = ancestors.last
        // cgroupfs drivers: /docker/ID, /libpod_parent/libpod-ID, /kubepods[/QOS]/podUID/ID or crio-ID.
        if parent == "docker", Self.isFullID(Substring(component)) {
            self.init(runtime: .docker, id: component, cgroup: cgroup)
        } else if parent == "libpod_parent", component.hasPrefix("libpod-"), Self.isFullID(component.dropFirst("libpod-".count)) {
            self.init(runtime: .podman, id: String(component.dropFirst("libpod-".count)), cgroup: cgroup)
        } else if ancestors.contains("kubepods"), let pod, parent?.hasPrefix("pod") == true {
            if Self.isFullID(Substring(component)) {
                self.init(runtime: .containerd, id: component, podUID: pod, cgroup: cgroup)
            } else if component.hasPrefix("crio-"), Self.isFullID(component.dropFirst("crio-".count)) {
                self.init(runtime: .crio, id: String(component.dropFirst("crio-".count)), podUID: pod, cgroup: cgroup)
            } else {
                return nil
            }
        } else if component.hasPrefix("lxc.payload."), component.count > "lxc.payload.".count {
            self.init(runtime: .lxc, id: String(component.dropFirst("lxc.payload.".count)), cgroup: cgroup)
        } else if parent == "lxc", ancestors.count == 1 {
            self.init(runtime: .lxc, id: component, cgroup: cgroup)
        } else {
            return nil
        }
    }

    private static let scopePrefixes: [(String, Runtime)] = [
        ("docker-", .docker), ("libpod-", .podman), ("cri-containerd-", .containerd),
        ("nerdctl-", .containerd), ("crio-", .crio),
    ]

    /// `kubepods-burstable-pod1a2b_3c4d.slice` (systemd: dashes of the UID written as `_`) or
    /// `pod1a2b-3c4d` (cgroupfs), the innermost such component below a kubepods one (the kubelet's
    /// root, at the top of a node or nested under a kind node's own cgroup).
    static func podUID(in ancestors: ArraySlice<String>) -> String? {
        guard let kubepods = ancestors.firstIndex(where: { $0.hasPrefix("kubepods") }) else { return nil }
        for component in ancestors[kubepods...].reversed() {
            if component.hasSuffix(".slice"),
               let last = component.dropLast(".slice".count).split(separator: "-").last, last.hasPrefix("pod"), last.count > 3 {
                return String(last.dropFirst(3).map { $0 == "_" ? "-" : $0 })
            } else if component.hasPrefix("pod"), component.count > 3 {
                return String(component.dropFirst(3))
            }
        }
        return nil
    }

    /// 64 lowercase hex digits, as every runtime here writes its IDs.
    public static func isFullID(_ text: Substring) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
