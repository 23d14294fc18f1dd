/// The cgroup a process runs in and the workload its path names: what every report adds where it
/// names a process (JSON `cgroup`, `unit`, `container`; text the unit or short container ID).
public struct ProcessCgroup: Hashable, Sendable {
    /// Relative to the cgroup v2 root, as /proc/PID/cgroup prints it (`/system.slice/nginx.service`).
    public var path: String { storage.path }
    public var workload: CgroupWorkload { storage.workload }

    /// One reference: every trace record and socket owner carries its process's cgroup, and a
    /// path with a unit and a container is four strings to copy and count.
    private let storage: Storage

    private final class Storage: Sendable {
        let path: String
        let workload: CgroupWorkload

        init(path: String) {
            self.path = path
            workload = CgroupWorkload(cgroupPath: path)
        }
    }

    public init(path: String) {
        storage = Storage(path: path)
    }

    public static func == (lhs: ProcessCgroup, rhs: ProcessCgroup) -> Bool {
        lhs.storage === rhs.storage || (lhs.path == rhs.path && lhs.workload == rhs.workload)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(path)
        hasher.combine(workload)
    }

    /// From the text of /proc/PID/cgroup.
    public init(procCgroup text: String) {
        self.init(path: CgroupWorkload.cgroupPath(procCgroup: text))
    }

    /// `cgroup`, `unit` and `container` (`{runtime, id}`), null where unknown or not named; a nil
    /// cgroup (the process is gone, or it was never read) gives three nulls.
    public static func jsonPairs(_ cgroup: ProcessCgroup?) -> [(String, JSON)] {
        let container = cgroup?.workload.container
        return [
            ("cgroup", .optional(cgroup?.path)),
            ("unit", .optional(cgroup?.workload.unit?.name)),
            ("container", container.map { .object([("runtime", .string($0.runtime.rawValue)), ("id", .string($0.id))]) } ?? .null),
        ]
    }

    /// ` [nginx.service]`, ` [docker 0123456789ab]` beside a process in text; empty when the path
    /// names no unit or container.
    public var textSuffix: String {
        let label = workload.label
        return label.isEmpty ? "" : " [\(PrintableText.of(label))]"
    }
}

extension ByteSink {
    /// `,"cgroup":…,"unit":…,"container":{"runtime":…,"id":…}`: `ProcessCgroup.jsonPairs` written
    /// straight into bytes, for trace's lines and compare-wire's rows.
    mutating func appendJSONCgroupKeys(_ cgroup: ProcessCgroup?) {
        appendJSONKey("cgroup"); appendJSONString(cgroup?.path)
        appendJSONKey("unit"); appendJSONString(cgroup?.workload.unit?.name)
        appendJSONKey("container")
        if let container = cgroup?.workload.container {
            appendJSONObject(firstKey: "runtime"); appendJSONString(container.runtime.rawValue)
            appendJSONKey("id"); appendJSONString(container.id)
            append(0x7D)
        } else {
            appendJSONNull()
        }
    }
}
