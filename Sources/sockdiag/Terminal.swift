#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Standard output and error, and whether to colour them.
struct Terminal {
    let style: OutputStyle
    /// False where sockdiag runs one of its own steps (the demo) and a side note on stderr, such as
    /// how a traced command exited, would only be noise.
    var showsNotes = true

    static var standard: Terminal {
        Terminal(style: OutputStyle(colored: isatty(STDOUT_FILENO) != 0 && !isSetAndNotEmpty("NO_COLOR")
                                        && !(environment("TERM") == "dumb")))
    }

    /// no-color.org: NO_COLOR counts only when it is set to a non-empty value.
    private static func isSetAndNotEmpty(_ name: String) -> Bool { !(environment(name) ?? "").isEmpty }

    private static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    func out(_ text: String) {
        fputs(text, stdout)
    }

    /// For streams read live (trace, compare-wire): each event reaches a pipe as it happens.
    func flush() { fflush(stdout) }

    func err(_ text: String) {
        guard showsNotes else { return }
        fputs(text, stderr)
    }

    /// The run's status once stdout is flushed. A reader that went away (`| head`) is not an error,
    /// but any other failed write (a full disk) is: a truncated file must not look complete.
    func finish(_ status: ExitStatus) -> ExitStatus {
        guard fflush(stdout) != 0 || ferror(stdout) != 0, status != .failure else { return status }
        let error = errno
        if error == EPIPE { return status }
        return fail("cannot write to standard output: \(String(cString: strerror(error)))")
    }

    /// Prints `sockdiag: MESSAGE` on stderr and returns the error status.
    func fail(_ message: String) -> ExitStatus {
        fflush(stdout)
        fputs("sockdiag: \(message)\n", stderr)
        return .failure
    }
}
