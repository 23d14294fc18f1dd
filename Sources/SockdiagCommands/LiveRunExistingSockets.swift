import SockdiagBPF
import SockdiagCore
import SockdiagSystem

extension LiveRun {
    /// The sockets the target's processes hold now (trace's `socket` events, compare-wire's
    /// owners of flows that began before the run): those of the cgroup's processes, or with
    /// `--pid` of the processes named. Where BPF iterators cannot run, a note says so and the run
    /// goes on without them.
    /// `readNs`: how long the reading took, for the summary.
    func existingSockets(_ terminal: Terminal) -> (sockets: [TraceExistingSocket], readNs: UInt64?) {
        let start = monotonicNs()
        guard let sockets = SocketSnapshot.take(of: cgroup, in: hierarchy) else {
            terminal.err("sockdiag: note: the sockets open before the run could not be read (BPF task iterators are not available here); flows they carry name no process\n")
            return ([], nil)
        }
        let readNs = monotonicNs() - start
        guard let processes = workload?.processes else { return (sockets, readNs) }
        return (sockets.filter { processes.contains($0.pid) }, readNs)
    }
}
