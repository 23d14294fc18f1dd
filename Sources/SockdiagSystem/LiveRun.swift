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
            case let .command(command):
                guard let program = command.first else { throw SockdiagError.invalidInput("'--' must be followed by a command to run") }
                _ = try SpawnedCommand.resolveExecutable(program)
                TransientCgroup.removeStale(prefix: transientPrefix, under: hierarchy.mountPoint)
                let made = try TransientCgroup.create(named: "\(transientPrefix)-\(getpid())", under: hierarchy.mountPoint)
                cgroup = made.directory
                transient = made
            }
        } catch {
            hierarchy.release()
            throw error
        }
        self.target = target
        self.hierarchy = hierarchy
    }

    /// A cgroup the user named that is the root of the hierarchy: every process on the host.
    public var watchesWholeHost: Bool { transient == nil && hierarchy.isRoot(cgroup) }

    /// Starts the command of `-- CMD` in the transient cgroup; nothing for `--cgroup`.
    public func startCommand(stdoutToStderr: Bool) throws {
        guard case let .command(arguments) = target, let transient else { return }
        command = try SpawnedCommand.start(arguments, in: transient, stdoutToStderr: stdoutToStderr)
    }

    /// Calls `step` until the command has exited (the call that saw it exit is the last), `step`
    /// ends the run (a closed output, --count), `duration` passes, a termination signal arrives,
    /// or a cgroup given with --cgroup is removed. `step` is told whether the command exited, so
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
