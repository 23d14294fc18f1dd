/// Finding `--unit` and `--container` among the cgroups of a host, and the cgroup that holds every
/// `--pid`: pure, over the cgroup paths a walk of the hierarchy found (relative to its root).
public enum WorkloadLookup {
    /// The units whose own cgroup is one of `cgroups`, in path order.
    public static func units(in cgroups: [String]) -> [SystemdUnit] {
        cgroups.compactMap { path in
            CgroupWorkload(cgroupPath: path).unit.flatMap { $0.cgroup == normalized(path) ? $0 : nil }
        }
    }

    /// The containers whose own cgroup is one of `cgroups`, in path order.
    public static func containers(in cgroups: [String]) -> [WorkloadContainer] {
        cgroups.compactMap { path in
            CgroupWorkload(cgroupPath: path).container.flatMap { $0.cgroup == normalized(path) ? $0 : nil }
        }
    }

    /// The one unit `text` names; otherwise an error naming the units there are (or the candidates).
    public static func unit(named text: String, in cgroups: [String]) throws(SockdiagError) -> SystemdUnit {
        let all = units(in: cgroups)
        let matches = all.filter { $0.isNamed(text) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            let known = Set(all.filter { $0.kind == .service || $0.kind == .scope }.map(describe)).sorted()
            let list = known.isEmpty ? "no unit cgroups exist here (is systemd running?)"
                : "units here: " + known.prefix(40).joined(separator: ", ") + (known.count > 40 ? ", ... (\(known.count) in all)" : "")
            throw .invalidInput("no systemd unit '\(PrintableText.of(text))' in the cgroup tree; \(list)")
        }
        throw .invalidInput("'\(PrintableText.of(text))' names \(matches.count) units: " + matches.map { "\(describe($0)) (\($0.cgroup))" }.joined(separator: ", "))
    }

    /// The one container whose ID starts with `prefix`; otherwise an error naming what there is.
    public static func container(idPrefix prefix: String, in cgroups: [String]) throws(SockdiagError) -> WorkloadContainer {
        let all = containers(in: cgroups)
        let matches = all.filter { $0.idStarts(with: prefix) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty {
            let list = all.isEmpty ? "no container cgroups exist here"
                : "containers here: " + all.prefix(20).map(\.label).joined(separator: ", ")
            throw .invalidInput("no container with an ID starting \(PrintableText.of(prefix)); \(list)")
        }
        throw .invalidInput("container ID prefix \(prefix) is ambiguous: it starts \(matches.map { "\($0.runtime.rawValue) \($0.id.prefix(prefix.count + 4))" }.joined(separator: ", ")); give more digits")
    }

    /// The deepest cgroup holding all of `paths`: where programs attach to see every process given.
    public static func commonAncestor(_ paths: [String]) -> String {
        guard var common = paths.first.map({ $0.split(separator: "/") }) else { return "/" }
        for path in paths.dropFirst() {
            let parts = path.split(separator: "/")
            let shared = zip(common, parts).prefix { $0 == $1 }.count
            common = Array(common.prefix(shared))
        }
        return "/" + common.joined(separator: "/")
    }

    /// `backup.service (user 1000)`, `nginx.service`.
    static func describe(_ unit: SystemdUnit) -> String {
        unit.name + (unit.userManager.map { " (user \($0))" } ?? "")
    }

    static func normalized(_ path: String) -> String {
        "/" + path.split(separator: "/").joined(separator: "/")
    }
}
