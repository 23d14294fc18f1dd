#if canImport(Glibc)
import Glibc
#endif
import SockdiagCapture
import SockdiagCore

func runCompareWire(_ options: CompareWireOptions, _ terminal: Terminal) throws -> ExitStatus {
    let report: WireReport
    switch options.mode {
    case let .offline(pcap, events):
        report = try compareOffline(pcap: pcap, events: events, writePcapng: options.writePcapng)
    case let .live(target):
        report = try compareLive(target, options: options, terminal: terminal)
    }
    if options.json {
        try report.json({ terminal.write($0) }) { sink in try writeFlowsOnTwoCores(report, to: sink) }
    } else {
        try writeTextOnTwoCores(report, style: terminal.style, to: terminal.write)
    }
    return report.join.exitStatus
}

func compareOffline(pcap: String, events: String, writePcapng: String?) throws -> WireReport {
    try requireReadable(pcap, what: "capture file")
    try requireReadable(events, what: "events file")
    if let writePcapng {
        // Writing the pcapng truncates its file first: the inputs would be gone before they are read.
        for (input, what) in [(pcap, "--pcap"), (events, "--events")] where sameFile(writePcapng, input) {
            throw SockdiagError.invalidInput("--write-pcapng \(writePcapng) is the \(what) file \(input); write the annotated capture to another file")
        }
    }
    // The event log and the capture are independent until the join: read them on two cores. The
    // capture is read faster, so its thread then takes parts of the log from the back.
    let log = try EventLogParts(path: events)
    let eventsReading = BackgroundWork { try log.readFromFront() }
    let captureResult = Result { try WireCaptureReader.flows(fromFile: pcap) }
    var logTail: Result<[WireEventLogReader], Error> = .success([])
    if case .success = captureResult { logTail = Result { try log.readFromBack() } }
    let front = try eventsReading.wait()
    let (table, capture) = try captureResult.get()
    let reader = try log.merged(front, logTail.get())
    let join = try joinOnTwoCores(kernel: reader.kernel, wire: table)
    if let writePcapng {
        try WireCaptureReader.writeAnnotated(capturePath: pcap, outputPath: writePcapng, interface: nil,
                                             table: table, join: join)
    }
    return WireReport(join: join, capture: capture, events: WireEventsSummary(file: events, reader: reader))
}

/// Whether two paths name one file (same device and inode), links and `./` spellings included.
func sameFile(_ a: String, _ b: String) -> Bool {
    var first = stat(), second = stat()
    guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
    return first.st_dev == second.st_dev && first.st_ino == second.st_ino
}

func requireReadable(_ path: String, what: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw SockdiagError.invalidInput("cannot open \(what) \(path): \(String(cString: strerror(errno)))") }
    var info = stat()
    let isDirectory = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    close(fd)
    if isDirectory { throw SockdiagError.invalidInput("\(what) \(path) is a directory") }
}

extension Terminal {
    /// Bytes as they are: large reports are built as bytes, not strings.
    func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
    }
}
