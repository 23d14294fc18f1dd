// libFuzzer target: any bytes as a `sockdiag trace --json` log, read in uneven chunks, joined with
// an empty capture and rendered both ways.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var reader = WireEventLogReader()
    var offset = 0
    reader.read(chunkSize: 1) { buffer in
        let n = min(buffer.count, size - offset, 1 + offset % 13)
        if n > 0 { buffer.copyMemory(from: UnsafeRawBufferPointer(start: data + offset, count: n)) }
        offset += n
        return n
    }
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
    return 0
}
