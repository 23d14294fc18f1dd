#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Standard output and error, and whether to colour them.
struct Terminal {
    let style: OutputStyle

    static var standard: Terminal {
        Terminal(style: OutputStyle(colored: isatty(STDOUT_FILENO) != 0 && getenv("NO_COLOR") == nil))
    }

    func out(_ text: String) {
        fputs(text, stdout)
    }

    /// For streams read live (trace, compare-wire): each event reaches a pipe as it happens.
    func flush() { fflush(stdout) }

    func err(_ text: String) {
        fputs(text, stderr)
    }

    /// Prints `sockdiag: MESSAGE` on stderr and returns the error status.
    func fail(_ message: String) -> ExitStatus {
        fflush(stdout)
        fputs("sockdiag: \(message)\n", stderr)
        return .failure
    }
}
