import SockdiagBPF
import SockdiagCore
import SockdiagSystem

extension LiveRun {
    /// The sockets the target's processes hold now (trace's `socket` events, compare-wire's
    /// owners of flows that began before the run): those of the cgroup's processes, or with
    /// `--pid` of the processes named. Where BPF iterators cannot run, a note says so and the run
    /// goes on without them.
    func existingSockets(_ terminal: Terminal) -> [TraceExistingSocket] {
        guard let sockets = SocketSnapshot.take(of: cgroup, in: hierarchy) else {
            terminal.err("sockdiag: note: the sockets open before the run could not be read (BPF task iterators are not available here); flows they carry name no process\n")
            return []
        }
        guard let processes = workload?.processes else { return sockets }
        return sockets.filter { processes.contains($0.pid) }
    }
}
