#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// One live run of trace or compare-wire, from the privilege check to the stop: the cgroup it
/// attaches to (one the user named, or a transient one made for `-- CMD`, `PREFIX-PID` under the
/// cgroup v2 mount), the command it starts there, and the loop that reads until the command
/// exits, the deadline passes or a termination signal arrives. `release()` removes what the run
/// created: the transient cgroup and any private cgroup2 mount.
public final class LiveRun {
    public let target: LiveTarget
    public let hierarchy: CgroupHierarchy
    /// Where the run's programs attach.
    public let cgroup: CgroupDirectory
    /// Set for `-- CMD`: where the command is started.
    private let transient: TransientCgroup?
    /// Set for `--pid`, `--unit`, `--container`: what was found, and where.
    public let workload: ResolvedWorkload?
    /// The command of `-- CMD`, once `startCommand` has started it.
    public private(set) var command: SpawnedCommand? = nil

    /// Refuses without the capabilities to attach cgroup BPF programs (`needsRoot` words the
    /// refusal, given what is missing), installs the termination handlers, and opens or makes the
    /// cgroup. For `-- CMD` the program is looked up before anything is created.
    public init(_ target: LiveTarget, transientPrefix: String, needsRoot: (String) -> String) throws(SockdiagError) {
        if let missing = CgroupBPFCapabilities.missing() { throw SockdiagError.missingPrivilege(needsRoot(missing)) }
        TerminationSignals.install()
        let hierarchy = try CgroupHierarchy.locate()
        do throws(SockdiagError) {
            switch target {
            case let .cgroup(path):
                cgroup = try CgroupDirectory.open(hierarchy.resolve(path))
                transient = nil
                workload = nil
            case .processes, .unit, .container:
                let found = try ResolvedWorkload.resolve(target, in: hierarchy)
                cgroup = try CgroupDirectory.open(hierarchy.mountPoint + (found?.cgroup == "/" ? "" : found?.cgroup ?? ""))
                transient = nil
                workload = found
            case let .command(command):
                guard let program = command.first else { throw SockdiagError.invalidInput("'--' must be followed by a command to run") }
                _ = try SpawnedCommand.resolveExecutable(program)
                TransientCgroup.removeStale(prefix: transientPrefix, under: hierarchy.mountPoint)
                let made = try TransientCgroup.create(named: "\(transientPrefix)-\(getpid())", under: hierarchy.mountPoint)
                cgroup = made.directory
                transient = made
                workload = nil
            }
        } catch {
            hierarchy.release()
            throw error
        }
        self.target = target
        self.hierarchy = hierarchy
    }

    /// The cgroups whose processes the run may name, as they are now: the processes' own for
    /// `--pid`, else the attached cgroup and every one below it.
    public func tracedCgroups() -> [ProcessCgroup] {
        let base = cgroup.path.hasPrefix(hierarchy.mountPoint) ? String(cgroup.path.dropFirst(hierarchy.mountPoint.count)) : ""
        if workload?.processes != nil { return [ProcessCgroup(path: base.isEmpty ? "/" : base)] }
        return CgroupTreeWalk.directories(under: cgroup.path).map { ProcessCgroup(path: $0 == "/" ? (base.isEmpty ? "/" : base) : base + $0) }
    }

    /// A cgroup the user named that is the root of the hierarchy: every process on the host.
    public var watchesWholeHost: Bool { transient == nil && hierarchy.isRoot(cgroup) }

    /// `cgroup /sys/fs/cgroup/x`, or `cgroup /sys/fs/cgroup/system.slice/nginx.service of unit nginx.service`:
    /// what went away when the run ends with `.cgroupRemoved`.
    public var removedCgroupText: String {
        "cgroup \(cgroup.path)" + (workload.map { " of \($0.description)" } ?? "")
    }

    /// For a text header: what the run watches and where its programs are attached, for the
    /// targets found on the host (`--pid`, `--unit`, `--container`); nil for the others.
    public var workloadHeader: String? {
        guard let workload else { return nil }
        let place = workload.cgroup == "/" ? "the root cgroup" : "cgroup \(workload.cgroup)"
        guard workload.processes != nil else { return "watching \(workload.description), attached at \(place)" }
        var text = "watching \(workload.description) and the children forked from now on, attached at \(place), other processes filtered out in the kernel"
        if watchesWholeHost { text += " (in the root cgroup every process on the host passes the hooks and pays for the filter)" }
        return text
    }

    /// Starts the command of `-- CMD` in the transient cgroup; nothing for `--cgroup`.
    public func startCommand(stdoutToStderr: Bool) throws {
        guard case let .command(arguments) = target, let transient else { return }
        command = try SpawnedCommand.start(arguments, in: transient, stdoutToStderr: stdoutToStderr)
    }

    /// Calls `step` until the command has exited (the call that saw it exit is the last), `step`
    /// ends the run (a closed output, --count), `duration` passes, a termination signal arrives,
    /// or a cgroup given with --cgroup (or found for --unit, --container) is removed. `step` is told whether the command exited, so
    /// that it reads what is left without waiting. When sockdiag ended the run first, the command
    /// and all it started are stopped (`TransientCgroup.stopEverything`) before this returns.
    public func loop(for duration: Double?, _ step: (_ commandExited: Bool) throws -> LiveRunEnd?) rethrows -> LiveRunEnd {
        let deadlineNs = duration.map { monotonicNs() + UInt64($0 * 1e9) }
        let end: LiveRunEnd
        while true {
            let exited = command?.poll() ?? false
            if let ended = try step(exited) { end = ended; break }
            if exited { end = .commandExited; break }
            if let deadlineNs, let duration, monotonicNs() >= deadlineNs { end = .duration(duration); break }
            if let signalled = LiveRunEnd.signalled { end = signalled; break }
            if transient == nil && cgroup.wasRemoved { end = .cgroupRemoved; break }
        }
        end.stop(command, in: transient)
        return end
    }

    public func release() {
        _ = transient?.remove()
        hierarchy.release()
    }
}

/// Nanoseconds on CLOCK_MONOTONIC: durations and deadlines of a run.
public func monotonicNs() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
