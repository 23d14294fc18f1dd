/// What a live run (trace, compare-wire) watches: the processes of a cgroup, a command it starts in
/// a transient cgroup of its own, processes by PID, a systemd unit or a container.
public enum LiveTarget: Hashable, Sendable {
    /// An existing cgroup: absolute, or relative to the cgroup v2 mount.
    case cgroup(String)
    /// A command to start in a transient cgroup.
    case command([String])
    /// `--pid`: these processes and the children they fork during the run, filtered in the kernel
    /// at the cgroup where they live.
    case processes([Int32])
    /// `--unit`: a systemd unit as the user typed it (`nginx`, `nginx.service`, `foo\x2dbar.service`).
    case unit(String)
    /// `--container`: an ID prefix of at least 12 hex digits, or a name for the runtime's API.
    case container(ContainerReference)

    /// `--container`'s value: what the user typed, read as an ID prefix when it is one.
    public enum ContainerReference: Hashable, Sendable {
        case idPrefix(String)
        case name(String)

        /// At least 12 hex digits is an ID (or its prefix), as `docker ps` prints it; anything else a name.
        public init(_ text: String) {
            let isHex = text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) }
            self = isHex && text.utf8.count >= 12 ? .idPrefix(text.lowercased()) : .name(text)
        }

        public var text: String {
            switch self {
            case let .idPrefix(text), let .name(text): return text
            }
        }
    }

    /// The options that name a running workload, shared by trace and compare-wire.
    public static let pid = OptionSpec("pid", short: "p", .value(placeholder: "PID"), repeatable: true,
                                       help: "Watch this process and the children it forks from now on, filtered in the kernel where it lives; it is never moved. Repeatable.")
    public static let unit = OptionSpec("unit", short: "u", .value(placeholder: "NAME"),
                                        help: "Watch a systemd unit, found from the cgroup layout (system and user units; '.service' may be left out).")
    public static let container = OptionSpec("container", .value(placeholder: "ID"),
                                             help: "Watch a container: its ID or a unique prefix of at least 12 hex digits (Docker, Podman, containerd, CRI-O); a name needs the Docker or Podman API socket.")

    /// `--cgroup PATH`, `--pid PID...`, `--unit NAME`, `--container ID` or `-- CMD`, exactly one of them.
    public init(_ arguments: ParsedArguments, cgroup option: OptionSpec, nothing: String) throws(UsageError) {
        var given: [LiveTarget] = []
        var names: [String] = []
        if let path = arguments.value(option) {
            guard !path.isEmpty else { throw UsageError("--\(option.long) needs a path") }
            given.append(.cgroup(path))
            names.append("--\(option.long)")
        }
        let pids = arguments.values(Self.pid)
        if !pids.isEmpty {
            var parsed: [Int32] = []
            for text in pids {
                guard let pid = Int32(text), pid > 0 else { throw UsageError("--pid needs a process ID (a positive whole number), got '\(text)'") }
                if !parsed.contains(pid) { parsed.append(pid) }
            }
            given.append(.processes(parsed))
            names.append("--pid")
        }
        if let unit = arguments.value(Self.unit) {
            guard !unit.isEmpty else { throw UsageError("--unit needs a unit name") }
            given.append(.unit(unit))
            names.append("--unit")
        }
        if let container = arguments.value(Self.container) {
            guard !container.isEmpty else { throw UsageError("--container needs a container ID (at least 12 hex digits)") }
            given.append(.container(ContainerReference(container)))
            names.append("--container")
        }
        if let command = arguments.trailingCommand {
            given.append(.command(command))
            names.append("-- CMD")
        }
        guard given.count <= 1 else { throw UsageError("give one target, not \(names.joined(separator: " and "))") }
        guard let target = given.first else { throw UsageError(nothing) }
        self = target
    }

    /// The command to start, for `-- CMD`.
    public var command: [String]? {
        if case let .command(command) = self { return command }
        return nil
    }

    /// The processes of `--pid`, whose events the kernel filters.
    public var processes: [Int32]? {
        if case let .processes(pids) = self { return pids }
        return nil
    }
}
