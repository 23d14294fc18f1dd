// libFuzzer target: any bytes as a `sockdiag trace --json` log, read in uneven chunks (and as a
// mapped part, which must read the same), joined with an empty capture and rendered both ways.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var reader = WireEventLogReader()
    readInChunks(data, size, upTo: 13, into: &reader)
    precondition(reader.lines >= reader.events + reader.garbage, "every event and garbage line is a line")
    let join = WireJoin.join(kernel: reader.kernel, wire: WireFlowTable())
    precondition(join.flows.count == reader.kernel.intents.count + reader.kernel.egress.count
                 || join.flows.count <= reader.kernel.intents.count + reader.kernel.egress.count)
    let report = WireReport(join: join,
                            capture: WireCaptureSummary(file: "f", interface: nil, linkType: .raw, packets: 0,
                                                        dropped: nil, skipped: WireSkipCounts()),
                            events: WireEventsSummary(file: "e", reader: reader))
    _ = report.json()
    _ = report.text()
    fuzzEventLogLinesAgree(data, size)
    return 0
}

// The same bytes read as a mapped part is (`read(lines:at:)`: each line read before its end is
// found) give the reader a chunked reading of its whole lines gives.
func fuzzEventLogLinesAgree(_ data: UnsafePointer<UInt8>, _ size: Int) {
    var mapped = WireEventLogReader()
    let end = mapped.read(lines: UnsafeRawBufferPointer(start: data, count: size), at: 0)
    var chunked = WireEventLogReader()
    readInChunks(data, end, upTo: 7, into: &chunked)
    precondition(mapped.lines == chunked.lines && mapped.events == chunked.events && mapped.records == chunked.records
                 && mapped.garbage == chunked.garbage, "line counts of the mapped and the chunked readings")
    precondition(mapped.kernel.intents == chunked.kernel.intents && mapped.kernel.egress == chunked.kernel.egress
                 && mapped.kernel.outcomes == chunked.kernel.outcomes, "tables of the mapped and the chunked readings")
}

/// The first `size` bytes, in uneven chunks of at most `longest` bytes.
func readInChunks(_ data: UnsafePointer<UInt8>, _ size: Int, upTo longest: Int, into reader: inout WireEventLogReader) {
    var offset = 0
    reader.read(chunkSize: 1) { buffer in
        let n = min(buffer.count, size - offset, 1 + offset % longest)
        if n > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(start: data + offset, count: n)) }
        offset += n
        return n
    }
}
