/// A log read in parts on several cores: the first part by an ordinary reader, each later part by
/// a reader made with `init(partStartingAt:)`, then merged in order with `append`. The result is
/// the reader one pass over the whole log gives, which the tests check line for line.
///
/// The one dependency between parts is a socket's totals record (`"final":true`): it is skipped
/// when an earlier record named the socket, and read whole otherwise. A later part cannot know,
/// so it keeps such lines aside (where they are in the file) until the merge, when the parts
/// before are known, and the merge takes them in line order with the part's own sockets. The
/// tracer writes every socket's totals at the end of its log, so the last parts are mostly these:
/// kept aside, they cost a cookie and an offset each.
struct WireDeferredTotals: Sendable {
    struct Line: Sendable {
        var cookie: UInt64
        /// The line's number in its part, for its order among the part's records.
        var line: Int
        var offset: Int
        var length: Int
    }

    /// The file offset of the part's first byte.
    let startOffset: Int
    private(set) var lines: [Line] = []
    /// The part's line that made each of its egress rows, in row order.
    var egressRowLines: [Int] = []

    init(startOffset: Int) { self.startOffset = startOffset }

    mutating func keep(cookie: UInt64, line: Int, offset: Int, length: Int) {
        lines.append(Line(cookie: cookie, line: line, offset: offset, length: length))
    }
}

extension WireEventLogReader {
    /// A reader for a part of a log that starts at `offset` in the file, after other parts.
    public init(partStartingAt offset: Int) {
        self.init()
        deferred = WireDeferredTotals(startOffset: offset)
    }

    mutating func addDeferring(_ event: WireKernelEvent) {
        let rows = kernel.egress.count
        kernel.add(event)
        if kernel.egress.count > rows { deferred!.egressRowLines.append(lines) }
    }

    /// Takes in `later`, read from the part of the log that follows this reader's. `lineAt(offset,
    /// length)` reads a kept totals line from the file again; it is asked only for sockets no
    /// record named before their totals, which a tracer's log does not have. A socket the later
    /// part records again after its kept totals comes out right too: its row there is taken in
    /// after the totals, as an update, as one pass would have met them.
    public mutating func append(_ later: WireEventLogReader, lineAt: (Int, Int) throws -> [UInt8]) rethrows {
        if firstGarbage == nil, let first = later.firstGarbage { firstGarbage = (lines + first.line, first.problem) }
        garbage += later.garbage
        records += later.records
        events += later.events
        for intent in later.kernel.intents { kernel.add(intent: intent) }
        // Egress rows and deferred totals in the order of their lines, as one pass would meet them.
        let deferredLines = later.deferred?.lines ?? []
        let rowLines = later.deferred?.egressRowLines ?? []
        var next = 0
        for (row, record) in later.kernel.egress.enumerated() {
            while next < deferredLines.count, deferredLines[next].line < rowLines[row] {
                try addTotals(deferredLines[next], lineAt: lineAt)
                next += 1
            }
            kernel.add(egress: record)
        }
        while next < deferredLines.count {
            try addTotals(deferredLines[next], lineAt: lineAt)
            next += 1
        }
        kernel.addCounts(of: later.kernel)
        cgroupsByPid.merge(later.cgroupsByPid) { earlier, _ in earlier }
        lines += later.lines
    }

    private mutating func addTotals(_ totals: WireDeferredTotals.Line, lineAt: (Int, Int) throws -> [UInt8]) rethrows {
        guard !kernel.hasEgress(cookie: totals.cookie) else { return }
        let bytes = try lineAt(totals.offset, totals.length)
        var event = WireKernelEvent()
        let status = bytes.withUnsafeBytes { WireEventLineParser.parse($0, into: &event, wholeTotals: true) }
        if case .event = status { kernel.add(event) }
    }
}
