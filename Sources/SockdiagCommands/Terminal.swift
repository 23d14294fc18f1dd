import SockdiagCore
import SockdiagSystem

/// Standard output and error, and whether to colour them: where a subcommand writes its report.
public struct Terminal {
    public let style: OutputStyle
    /// False where sockdiag runs one of its own steps (the demo) and a side note on stderr, such as
    /// how a traced command exited, would only be noise.
    var showsNotes = true

    public static var standard: Terminal {
        Terminal(style: OutputStyle(colored: StandardStreams.outputIsTerminal && !isSetAndNotEmpty("NO_COLOR")
                                        && !(StandardStreams.environment("TERM") == "dumb")))
    }

    /// no-color.org: NO_COLOR counts only when it is set to a non-empty value.
    private static func isSetAndNotEmpty(_ name: String) -> Bool { !(StandardStreams.environment(name) ?? "").isEmpty }

    public func out(_ text: String) {
        StandardStreams.writeOutput(text)
    }

    /// For streams read live (trace, compare-wire): each event reaches a pipe as it happens.
    func flush() { StandardStreams.flushOutput() }

    /// Bytes as they are: large reports are built as bytes, not strings.
    func write(_ bytes: [UInt8]) {
        StandardStreams.writeOutput(bytes)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        StandardStreams.writeOutput(bytes)
    }

    func err(_ text: String) {
        guard showsNotes else { return }
        StandardStreams.writeError(text)
    }

    /// The run's status once stdout is flushed. A reader that went away (`| head`) is not an error,
    /// but any other failed write (a full disk) is: a truncated file must not look complete.
    public func finish(_ status: ExitStatus) -> ExitStatus {
        let error = StandardStreams.finishOutput()
        guard let error, status != .failure else { return status }
        return fail("cannot write to standard output: \(error.message)")
    }

    /// Prints `sockdiag: MESSAGE` on stderr and returns the error status.
    public func fail(_ message: String) -> ExitStatus {
        StandardStreams.flushOutput()
        StandardStreams.writeError("sockdiag: \(message)\n")
        return .failure
    }
}
