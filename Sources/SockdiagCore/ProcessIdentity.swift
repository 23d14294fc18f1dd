/// Who a process is, as `ps` would name it.
public struct ProcessIdentity: Hashable, Sendable {
    public let pid: Int32
    public let comm: String
    /// Arguments joined by spaces; empty for kernel threads and processes that already exited.
    public let cmdline: String
    /// Where it runs; nil when it was not read (or the process is gone).
    public let cgroup: ProcessCgroup?

    public init(pid: Int32, comm: String, cmdline: String, cgroup: ProcessCgroup? = nil) {
        self.pid = pid
        self.comm = comm
        self.cmdline = cmdline
        self.cgroup = cgroup
    }

    /// `python3 (pid 4242)`, `nginx (pid 17) [docker 0123456789ab]`, for text: the comm with its
    /// control characters shown as `?`, and the unit or container its cgroup names.
    public var label: String { "\(PrintableText.of(comm)) (pid \(pid))" + (cgroup?.textSuffix ?? "") }
}
