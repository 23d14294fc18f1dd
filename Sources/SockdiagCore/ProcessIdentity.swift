/// Who a process is, as `ps` would name it.
public struct ProcessIdentity: Hashable, Sendable {
    public let pid: Int32
    public let comm: String
    /// Arguments joined by spaces; empty for kernel threads and processes that already exited.
    public let cmdline: String

    public init(pid: Int32, comm: String, cmdline: String) {
        self.pid = pid
        self.comm = comm
        self.cmdline = cmdline
    }

    /// `python3 (pid 4242)`, for text: the comm with its control characters shown as `?`.
    public var label: String { "\(PrintableText.of(comm)) (pid \(pid))" }
}
