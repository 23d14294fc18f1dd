#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The process-wide settings and the end of the sockdiag process itself.
public enum ThisProcess {
    /// A closed stdout (`| head`) then shows up as a failed write (EPIPE), not a death by
    /// SIGPIPE; children get the default back before exec.
    public static func ignoreBrokenPipe() { signal(SIGPIPE, SIG_IGN) }

    /// The inode number of sockdiag's own pid namespace, nil in the initial one (PROC_PID_INIT_INO,
    /// include/linux/proc_ns.h): the BPF hooks number processes as this namespace does, so pids
    /// match what its /proc and `ps` show.
    public static var pidNamespaceInode: UInt32? {
        guard let inode = SystemFile.inode("/proc/self/ns/pid"), inode != 0xEFFF_FFFC else { return nil }
        return UInt32(truncatingIfNeeded: inode)
    }

    /// Ends the process with `status`, stdio's buffers flushed.
    public static func exit(_ status: ExitStatus) -> Never { Glibc.exit(status.rawValue) }
}
