#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

extension ProcessIdentity {
    /// Reads /proc/PID/comm, /proc/PID/cmdline and /proc/PID/cgroup; nil when the process is gone.
    public static func read(pid: Int32, procRoot: String = "/proc") -> ProcessIdentity? {
        guard let comm = SystemFile.readString("\(procRoot)/\(pid)/comm") else { return nil }
        let cmdlineBytes = (try? SystemFile.readBytes("\(procRoot)/\(pid)/cmdline").get()) ?? []
        let args = cmdlineBytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return ProcessIdentity(pid: pid, comm: String(comm.dropLast(comm.hasSuffix("\n") ? 1 : 0)),
                               cmdline: args.joined(separator: " "),
                               cgroup: SystemFile.readString("\(procRoot)/\(pid)/cgroup").map(ProcessCgroup.init(procCgroup:)))
    }
}

public enum Privileges {
    public static var isRoot: Bool { geteuid() == 0 }
}
