#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Standard output and error as the subcommands write them: text through stdio's buffer, large
/// streams straight to the descriptor.
public enum StandardStreams {
    /// Whether standard output is a terminal (colours, a pager's width).
    public static var outputIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }

    /// The environment variable's value, nil when it is not set.
    public static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    public static func writeOutput(_ text: String) { fputs(text, stdout) }

    public static func writeOutput(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeOutput($0) }
    }

    public static func writeOutput(_ bytes: UnsafeRawBufferPointer) {
        _ = fwrite(bytes.baseAddress, 1, bytes.count, stdout)
    }

    public static func writeError(_ text: String) { fputs(text, stderr) }

    public static func flushOutput() { fflush(stdout) }

    /// Writes `bytes` to descriptor 1 past stdio's buffer, however many calls it takes; flush
    /// what stdio holds first.
    public static func writeOutputUnbuffered(_ bytes: UnsafeRawBufferPointer) throws(Errno) {
        try Syscall.writeAll(STDOUT_FILENO, bytes)
    }

    /// Flushes standard output at the end of a run: why a write failed, or nil when all of it
    /// went out or the reader went away (`| head`), which is no error.
    public static func finishOutput() -> Errno? {
        guard fflush(stdout) != 0 || ferror(stdout) != 0 else { return nil }
        let error = Errno.current
        // errno may be an older call's when the failed write was earlier: ask the descriptor.
        if error == .brokenPipe || readerIsGone(STDOUT_FILENO) { return nil }
        return error
    }

    /// A pipe or socket whose reading end closed reports POLLERR.
    static func readerIsGone(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        return poll(&descriptor, 1, 0) == 1 && descriptor.revents & Int16(POLLERR) != 0
    }
}
