#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore
import SockdiagSystem

/// Standard output and error, and whether to colour them: where a subcommand writes its report.
public struct Terminal {
    public let style: OutputStyle
    /// False where sockdiag runs one of its own steps (the demo) and a side note on stderr, such as
    /// how a traced command exited, would only be noise.
    var showsNotes = true

    public static var standard: Terminal {
        Terminal(style: OutputStyle(colored: isatty(STDOUT_FILENO) != 0 && !isSetAndNotEmpty("NO_COLOR")
                                        && !(environment("TERM") == "dumb")))
    }

    /// no-color.org: NO_COLOR counts only when it is set to a non-empty value.
    private static func isSetAndNotEmpty(_ name: String) -> Bool { !(environment(name) ?? "").isEmpty }

    private static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    public func out(_ text: String) {
        fputs(text, stdout)
    }

    /// For streams read live (trace, compare-wire): each event reaches a pipe as it happens.
    func flush() { fflush(stdout) }

    /// Bytes as they are: large reports are built as bytes, not strings.
    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
    }

    func err(_ text: String) {
        guard showsNotes else { return }
        fputs(text, stderr)
    }

    /// The run's status once stdout is flushed. A reader that went away (`| head`) is not an error,
    /// but any other failed write (a full disk) is: a truncated file must not look complete.
    public func finish(_ status: ExitStatus) -> ExitStatus {
        guard fflush(stdout) != 0 || ferror(stdout) != 0, status != .failure else { return status }
        let error = Errno.current
        // errno may be an older call's when the failed write was earlier: ask the descriptor.
        if error.rawValue == EPIPE || Terminal.readerIsGone(STDOUT_FILENO) { return status }
        return fail("cannot write to standard output: \(error.message)")
    }

    /// A pipe or socket whose reading end closed reports POLLERR.
    static func readerIsGone(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&descriptor, 1, 0) == 1 && descriptor.revents & Int16(POLLERR) != 0
    }

    /// Prints `sockdiag: MESSAGE` on stderr and returns the error status.
    public func fail(_ message: String) -> ExitStatus {
        fflush(stdout)
        fputs("sockdiag: \(message)\n", stderr)
        return .failure
    }
}
