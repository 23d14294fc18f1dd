#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The process-wide settings and the end of the sockdiag process itself.
public enum ThisProcess {
    /// A closed stdout (`| head`) then shows up as a failed write (EPIPE), not a death by
    /// SIGPIPE; children get the default back before exec.
    public static func ignoreBrokenPipe() { signal(SIGPIPE, SIG_IGN) }

    /// Ends the process with `status`, stdio's buffers flushed.
    public static func exit(_ status: ExitStatus) -> Never { Glibc.exit(status.rawValue) }
}
