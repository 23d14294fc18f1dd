#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

extension TransientCgroup {
    /// Stops the command and everything it started, as timeout(1) stops its command: `signal`
    /// (SIGTERM, or the signal that stopped sockdiag) to every process in the cgroup, up to
    /// `graceNs` for them to go, then SIGKILL to what is left (through cgroup.kill, which also
    /// catches processes forked meanwhile). The command is reaped and its result says why it was
    /// stopped. Nothing the command started outlives the run unseen.
    public func stopEverything(_ command: SpawnedCommand, signal: Int32 = SIGTERM, graceNs: UInt64 = 2_000_000_000,
                               because reason: String) {
        let start = monotonicNanoseconds()
        let wasRunning = !command.poll()
        for pid in directory.processes() { kill(pid, signal) }
        command.signal(signal)
        while monotonicNanoseconds() - start < graceNs {
            if command.poll() && directory.processes().isEmpty { break }
            usleep(20_000)
        }
        if !directory.processes().isEmpty || !command.poll() {
            if !SystemFile.write("1", to: directory.path + "/cgroup.kill") {
                for pid in directory.processes() { kill(pid, SIGKILL) }
                command.signal(SIGKILL)
            }
            _ = command.wait(timeoutMilliseconds: 2000)
        }
        if wasRunning { command.markStopped(by: reason) }
    }

    /// Whether processes are still inside (a command's background children).
    public var isPopulated: Bool { !directory.processes().isEmpty }
}

extension CgroupDirectory {
    /// True once the directory was removed (rmdir) while open: its control files are gone.
    public var wasRemoved: Bool {
        withDescriptor { $0 >= 0 && faccessat($0, "cgroup.procs", F_OK, 0) != 0 && errno == ENOENT }
    }
}

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Why a live run (trace, compare-wire) ended.
public enum LiveRunEnd: Equatable, Sendable {
    /// The command of `-- CMD` exited on its own.
    case commandExited
    /// sockdiag ended the run (`--duration 5`, `--count 3`, `SIGINT`, `closed output`); a command
    /// still running gets `signal` first (see `TransientCgroup.stopEverything`).
    case stopped(because: String, signal: Int32)
    /// The cgroup given with `--cgroup` (or a unit's, a container's) was removed while it was traced.
    case cgroupRemoved
    /// `--pid`: every traced process, and every child it forked, has exited.
    case processesExited

    /// `--duration 5`, `--duration 0.5`: as the user would have written it.
    public static func duration(_ seconds: Double) -> LiveRunEnd {
        let text = seconds == seconds.rounded() && seconds < 1e15 ? String(Int64(seconds)) : String(seconds)
        return .stopped(because: "--duration \(text)")
    }

    /// sockdiag ended the run for `reason` (`--count 3`, `closed output`): a command still
    /// running gets SIGTERM.
    public static func stopped(because reason: String) -> LiveRunEnd { .stopped(because: reason, signal: SIGTERM) }

    /// The end a termination signal asked for, if one arrived: the command gets the same signal.
    public static var signalled: LiveRunEnd? {
        TerminationSignals.received.map { .stopped(because: TraceCommandResult.signalName($0), signal: $0) }
    }

    /// Stops the command, and all it started, when sockdiag ended the run first.
    public func stop(_ command: SpawnedCommand?, in cgroup: TransientCgroup?) {
        guard case let .stopped(reason, signal) = self, let command, let cgroup, !command.poll() || cgroup.isPopulated else { return }
        cgroup.stopEverything(command, signal: signal, because: reason)
    }
}
