#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Where a `--pid`, `--unit` or `--container` target lives on this host: the cgroup its programs
/// attach to, the processes the kernel keeps (for `--pid`), and how to name it.
public struct ResolvedWorkload: Sendable {
    /// The cgroup to attach to, relative to the hierarchy's root.
    public let cgroup: String
    /// `--pid`: the processes whose events are kept; nil keeps the whole cgroup's.
    public let processes: [Int32]?
    /// `pid 4242 (python3)`, `unit nginx.service`, `container docker 0123456789ab`.
    public let description: String

    /// Looks the target up: --pid through /proc/PID/cgroup, --unit and --container in the cgroup tree.
    public static func resolve(_ target: LiveTarget, in hierarchy: CgroupHierarchy) throws(SockdiagError) -> ResolvedWorkload? {
        switch target {
        case .cgroup, .command:
            return nil
        case let .processes(pids):
            var cgroups: [String] = []
            for pid in pids { cgroups.append(try cgroupOf(pid)) }
            let names = pids.map { pid in "pid \(pid) (\(PrintableText.of(SystemFile.readValue("/proc/\(pid)/comm") ?? "?")))" }
            return ResolvedWorkload(cgroup: WorkloadLookup.commonAncestor(cgroups), processes: pids,
                                    description: names.joined(separator: ", "))
        case let .unit(name):
            let unit = try WorkloadLookup.unit(named: name, in: CgroupTreeWalk.directories(under: hierarchy.mountPoint))
            let owner = unit.userManager.map { " of user \($0)" } ?? ""
            return ResolvedWorkload(cgroup: unit.cgroup, processes: nil, description: "unit \(unit.name)\(owner)")
        case let .container(reference):
            let prefix: String
            switch reference {
            case let .idPrefix(text): prefix = text
            case let .name(name): prefix = try ContainerAPI.resolve(name: name)
            }
            let container = try WorkloadLookup.container(idPrefix: prefix, in: CgroupTreeWalk.directories(under: hierarchy.mountPoint))
            let pod = container.podUID.map { " in pod \($0)" } ?? ""
            return ResolvedWorkload(cgroup: container.cgroup, processes: nil, description: "container \(container.label)\(pod)")
        }
    }

    /// The cgroup v2 path of a live process (its `0::` line).
    static func cgroupOf(_ pid: Int32) throws(SockdiagError) -> String {
        guard let text = SystemFile.readString("/proc/\(pid)/cgroup"), ProcessState.isRunning(pid) else {
            throw .invalidInput(SystemFile.exists("/proc/\(pid)") ? "process \(pid) has exited" : "no process with PID \(pid)")
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else {
            throw .invalidInput("process \(pid) is in no cgroup v2 hierarchy (/proc/\(pid)/cgroup has no 0:: line)")
        }
        let path = String(line.dropFirst(3))
        // A process in another cgroup namespace shows paths relative to that namespace's root.
        if path.hasPrefix("/..") { throw .invalidInput("process \(pid) is outside this process's cgroup namespace (\(path))") }
        return path
    }
}

/// Whether a process still runs: there, and not a zombie waiting for its parent.
public enum ProcessState {
    public static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = SystemFile.readString("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[close...].dropFirst(2).first
        return state != nil && state != "Z" && state != "X"
    }
}
