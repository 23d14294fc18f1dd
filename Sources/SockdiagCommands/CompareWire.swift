import SockdiagCapture
import SockdiagCore
import SockdiagSystem

/// `sockdiag compare-wire`: the kernel's view of each flow beside the wire's, offline (a saved
/// capture and event log) or live (the tracer and a capture at once).
public enum CompareWire {
    /// Compares as `options` say and writes the report, text or JSON, to `terminal`.
    public static func run(_ options: CompareWireOptions, to terminal: Terminal) throws -> ExitStatus {
        let (report, annotationFailure) = try self.report(options, terminal: terminal)
        if options.json {
            try report.json({ terminal.write($0) }) { sink in try writeFlowsOnTwoCores(report, to: sink) }
        } else {
            try writeTextOnTwoCores(report, style: terminal.style, to: terminal.write)
        }
        if let cut = report.capture.endedEarly, let file = report.capture.file {
            // As tcpdump -r: what was read is shown, and the run still fails.
            return terminal.fail("compare-wire: \(file) ended early (\(cut)); the report covers the \(report.capture.packets) packets before the cut")
        }
        if let removed = report.cgroupRemoved {
            return terminal.fail("compare-wire: \(removed) was removed while it was traced; the run ends here")
        }
        if let failure = annotationFailure {
            // The report is whole; only the annotated copy is not.
            return terminal.fail("compare-wire: \(failure); the report above is complete")
        }
        return report.join.exitStatus
    }

    /// The report, not yet written, and why the annotated capture (`-w`) could not be written.
    static func report(_ options: CompareWireOptions, terminal: Terminal) throws -> (report: WireReport, annotationFailure: SockdiagError?) {
        HugePageAdvice.install()
        switch options.mode {
        case let .offline(pcap, events):
            return try offline(pcap: pcap, events: events, writePcapng: options.writePcapng, nat64: options.nat64.resolvePrefixes())
        case let .live(target):
            return try live(target, options: options, terminal: terminal)
        }
    }

    static func offline(pcap: String, events: String, writePcapng: String?, nat64: NAT64Prefixes) throws -> (WireReport, SockdiagError?) {
        let opened = try InputFile.open(pcap, what: "capture file")
        let captureName = opened.displayName, captureIsRegular = opened.isRegular
        // From here the capture closes when it goes, unless its reader took it over.
        var captureInput = Optional(opened)
        let eventsInput = try InputFile.open(events, what: "events file")
        let eventsName = eventsInput.displayName
        let log = try EventLogParts(eventsInput)
        if let writePcapng {
            // Writing the pcapng truncates its file first: the inputs would be gone before they are read.
            for (input, what) in [(pcap, "--pcap"), (events, "--events")] where SystemFile.sameFile(writePcapng, input) {
                throw SockdiagError.invalidInput("--write-pcapng \(writePcapng) is the \(what) file \(input); write the annotated capture to another file")
            }
            guard captureIsRegular else {
                throw SockdiagError.invalidInput("--write-pcapng reads the capture twice, and --pcap \(captureName) is not a regular file; save it to a file first")
            }
        }
        var annotation = try AnnotatedCapture(writePcapng)
        // The event log and the capture are independent until the join: the log is read on a
        // thread of its own while this one reads the capture, then helps with the log.
        let (reader, (table, capture)) = try log.read(alongside: {
            try WireCaptureReader.flows(from: captureInput.take()!)
        })
        let join = try joinOnTwoCores(kernel: reader.kernel, wire: table, nat64: nat64)
        let annotationFailure = annotation.take()?.write(capturePath: pcap, interface: nil, table: table, join: join)
        return (WireReport(join: join, capture: capture, events: WireEventsSummary(file: eventsName, reader: reader),
                           processCgroups: reader.processCgroups),
                annotationFailure)
    }
}

/// `--write-pcapng FILE`, opened (created, emptied) before a run starts so that a path that
/// cannot be written stops it before anything is traced; written once, when the join is known,
/// by a consuming `write`. Its descriptor closes when the writing is done, or with the owner when
/// the run ends before that.
struct AnnotatedCapture: ~Copyable {
    let path: String
    private let output: FileDescriptor

    init?(_ path: String?) throws {
        guard let path else { return nil }
        self.path = path
        output = try PcapngFileWriter.open(path)
    }

    /// Why writing failed late (a full disk), nil when the file is whole: the run still prints its report.
    consuming func write(capturePath: String, interface: String?, table: WireFlowTable, join: WireJoinResult) -> SockdiagError? {
        do throws(SockdiagError) {
            try WireCaptureReader.writeAnnotated(capturePath: capturePath, outputPath: path, output: output,
                                                 interface: interface, table: table, join: join)
            return nil
        } catch {
            return error
        }
    }
}
