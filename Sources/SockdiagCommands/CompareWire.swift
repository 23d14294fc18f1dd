#if canImport(Glibc)
import Glibc
#endif
import SockdiagCapture
import SockdiagCore
import SockdiagSystem

/// `sockdiag compare-wire`: the kernel's view of each flow beside the wire's, offline (a saved
/// capture and event log) or live (the tracer and a capture at once).
public enum CompareWire {
    /// Compares as `options` say and writes the report, text or JSON, to `terminal`.
    public static func run(_ options: CompareWireOptions, to terminal: Terminal) throws -> ExitStatus {
        let report = try self.report(options, terminal: terminal)
        if options.json {
            try report.json({ terminal.write($0) }) { sink in try writeFlowsOnTwoCores(report, to: sink) }
        } else {
            try writeTextOnTwoCores(report, style: terminal.style, to: terminal.write)
        }
        return report.join.exitStatus
    }

    /// The report, not yet written; notes (how a traced command exited) go to `terminal`'s stderr.
    static func report(_ options: CompareWireOptions, terminal: Terminal) throws -> WireReport {
        HugePageAdvice.install()
        switch options.mode {
        case let .offline(pcap, events):
            return try offline(pcap: pcap, events: events, writePcapng: options.writePcapng)
        case let .live(target):
            return try live(target, options: options, terminal: terminal)
        }
    }

    static func offline(pcap: String, events: String, writePcapng: String?) throws -> WireReport {
        try requireReadable(pcap, what: "capture file")
        try requireReadable(events, what: "events file")
        if let writePcapng {
            // Writing the pcapng truncates its file first: the inputs would be gone before they are read.
            for (input, what) in [(pcap, "--pcap"), (events, "--events")] where sameFile(writePcapng, input) {
                throw SockdiagError.invalidInput("--write-pcapng \(writePcapng) is the \(what) file \(input); write the annotated capture to another file")
            }
        }
        // The event log and the capture are independent until the join: the log is read on a
        // thread of its own while this one reads the capture, then helps with the log.
        let log = try EventLogParts(path: events)
        let (reader, (table, capture)) = try log.read(alongside: { try WireCaptureReader.flows(fromFile: pcap) })
        let join = try joinOnTwoCores(kernel: reader.kernel, wire: table)
        if let writePcapng {
            try WireCaptureReader.writeAnnotated(capturePath: pcap, outputPath: writePcapng, interface: nil,
                                                 table: table, join: join)
        }
        return WireReport(join: join, capture: capture, events: WireEventsSummary(file: events, reader: reader))
    }
}

/// Whether two paths name one file (same device and inode), links and `./` spellings included.
func sameFile(_ a: String, _ b: String) -> Bool {
    var first = stat(), second = stat()
    guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
    return first.st_dev == second.st_dev && first.st_ino == second.st_ino
}

func requireReadable(_ path: String, what: String) throws {
    let fd: Int32
    do throws(Errno) { fd = try Syscall.open(path, O_RDONLY | O_CLOEXEC) } catch {
        throw SockdiagError.invalidInput("cannot open \(what) \(path): \(error.message)")
    }
    var info = stat()
    let isDirectory = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    close(fd)
    if isDirectory { throw SockdiagError.invalidInput("\(what) \(path) is a directory") }
}
