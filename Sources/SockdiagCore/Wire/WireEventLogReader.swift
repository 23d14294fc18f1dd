/// Reads a `sockdiag trace --json` log line by line into a `WireKernelTable`: in chunks
/// (`read(fill:)`), memory holding one chunk and the kernel's sockets, never the whole file; or
/// straight from bytes already in memory, a mapped file (`read(lines:at:)`). A line that is not an
/// event is counted and skipped; a log with no event at all but some garbage is an error, since it
/// is not an event log, and so is an empty one (a tracer always ends its log with a summary).
public struct WireEventLogReader: Sendable {
    public internal(set) var kernel = WireKernelTable()
    internal(set) var lines = 0
    /// The tracer's events: connects, sends, binds, egress records; not its summary.
    internal(set) var events = 0
    /// JSON records read, the summary included: a log without any is not a log.
    internal(set) var records = 0
    internal(set) var garbage = 0
    internal(set) var firstGarbage: (line: Int, problem: WireEventLineProblem)?

    /// The cgroup of each process the log names, from the first line naming it (nil: that line
    /// had none), as a live run names each process from its first event.
    var cgroupsByPid: [UInt32: ProcessCgroup?] = [:]
    /// The pid of the line before: a log's lines come in runs of one process's events.
    private var lastPid: UInt32?
    /// The addresses of the lines read so far, most lines' addresses among them.
    private var addressMemo = WireAddressMemo()

    /// The cgroup (and the unit or container it names) of each process the log's events name.
    public var processCgroups: [UInt32: ProcessCgroup] { cgroupsByPid.compactMapValues { $0 } }

    /// Set for a reader of a later part of a log (see `WireEventLogReader+Parts.swift`): totals
    /// of sockets this part has not named wait there for the parts before.
    var deferred: WireDeferredTotals?

    /// Lines longer than this are garbage: no tracer writes them.
    static let maximumLineLength = 1 << 16

    /// Set when `read(giveUpAfter:)` stopped: that many bytes came without a record, from an input
    /// that may never end (/dev/zero has no newline at all, /dev/urandom only garbage lines).
    private(set) var abandonedAfter: Int?

    public init() {}

    /// Sizes the kernel tables for a log of `bytes` bytes (trace lines are about 300 bytes).
    public mutating func reserveCapacity(bytes: Int) {
        kernel.reserveCapacity(lines: min(bytes / 300, 1 << 22))
    }

    /// Reads everything `fill` supplies. `fill` writes into the buffer and returns the byte count,
    /// 0 at the end, or throws. With `giveUpAfter`, stops once that many bytes in a row held no
    /// record (see `abandonedAfter`): a bound for inputs that may not end.
    public mutating func read(chunkSize: Int = 1 << 20, giveUpAfter limit: Int? = nil,
                              fill: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows {
        let size = max(chunkSize, WireEventLogReader.maximumLineLength * 2)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        var filled = 0
        var skippingLongLine = false
        // Where buffer[0] is in the stream: deferred totals lines are found again by offset.
        var bufferOffset = deferred?.startOffset ?? 0
        // Where the bytes after the last record start, in the stream.
        var afterRecord = bufferOffset
        var recordsSeen = records
        while true {
            let n = try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n <= 0 {
                if filled > 0 && !skippingLongLine {
                    consume(line: UnsafeRawBufferPointer(rebasing: buffer[0..<filled]), at: bufferOffset)
                }
                return
            }
            filled += n
            let view = UnsafeRawBufferPointer(buffer)
            var start = 0
            while let newline = view.firstNewline(from: start, to: filled) {
                if skippingLongLine {
                    skippingLongLine = false
                } else {
                    consume(wholeLine: UnsafeRawBufferPointer(rebasing: view[start..<newline]), at: bufferOffset + start)
                    if records != recordsSeen {
                        recordsSeen = records
                        afterRecord = bufferOffset + newline + 1
                    }
                }
                start = newline + 1
            }
            if let limit, bufferOffset + filled - afterRecord > limit {
                abandonedAfter = bufferOffset + filled - afterRecord
                return
            }
            let rest = filled - start
            if rest > WireEventLogReader.maximumLineLength {
                if !skippingLongLine {
                    lines += 1
                    countGarbage(.tooLong(limit: WireEventLogReader.maximumLineLength))
                }
                skippingLongLine = true
                bufferOffset += filled
                filled = 0
            } else {
                if start > 0 && rest > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: rest) }
                bufferOffset += start
                filled = rest
            }
        }
    }

    /// Reads the lines of `bytes`, which start at `offset` in the log, up to the last newline: a
    /// part of a log already in memory (a mapped file). Returns where the last whole line ends,
    /// `bytes.count` for a part cut at line starts.
    ///
    /// Each line is read before its end is found (`WireEventLineLayout.parse(openEnded:)`), and the
    /// end looked for only after what was read: the newline scan was a sixth of the reading.
    public mutating func read(lines bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        var start = 0
        while start < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[start...])
            var event = WireKernelEvent()
            var reached = 0
            let layout = WireEventLineLayout.parse(openEnded: rest, into: &event, wholeTotals: false, memo: &addressMemo, reached: &reached)
            guard let newline = rest.firstNewline(from: reached, to: rest.count) else { break }
            let line = UnsafeRawBufferPointer(rebasing: rest[0..<newline])
            if line.count > WireEventLogReader.maximumLineLength {
                lines += 1
                countGarbage(.tooLong(limit: WireEventLogReader.maximumLineLength))
            } else if let layout, line.endsLikeAnObject {
                consume(line: line, at: offset + start, status: layout, event: &event)
            } else {
                consume(line: line, at: offset + start)
            }
            start += newline + 1
        }
        return start
    }

    /// A line with its newline found: garbage when too long, so that the verdict is the same
    /// however the reads happened to cut the file.
    @inline(__always)
    private mutating func consume(wholeLine line: UnsafeRawBufferPointer, at offset: Int) {
        if line.count > WireEventLogReader.maximumLineLength {
            lines += 1
            countGarbage(.tooLong(limit: WireEventLogReader.maximumLineLength))
        } else {
            consume(line: line, at: offset)
        }
    }

    mutating func consume(line: UnsafeRawBufferPointer) { consume(line: line, at: 0) }

    /// `offset`: where the line starts in the stream, for a deferred totals line.
    mutating func consume(line: UnsafeRawBufferPointer, at offset: Int) {
        var event = WireKernelEvent()
        let status = WireEventLineParser.parse(line, into: &event, memo: &addressMemo)
        consume(line: line, at: offset, status: status, event: &event)
    }

    /// A line read into `event` with `status`.
    private mutating func consume(line: UnsafeRawBufferPointer, at offset: Int, status: WireEventLineParser.Status,
                                  event: inout WireKernelEvent) {
        lines += 1
        switch status {
        case .blank:
            break
        case let .totals(cookie):
            records += 1
            events += 1
            // Totals of a socket already named add nothing the join uses; a socket whose first
            // record was lost is named by its totals.
            if !kernel.hasEgress(cookie: cookie) {
                if deferred != nil {
                    deferred!.keep(cookie: cookie, line: lines, offset: offset, length: line.count)
                    return
                }
                event = WireKernelEvent()
                if case .event = WireEventLineParser.parse(line, into: &event, wholeTotals: true, memo: &addressMemo) { kernel.add(event) }
            }
        case .event:
            records += 1
            if event.kind != .summary { events += 1 }
            if let pid = event.pid, pid != lastPid { nameCgroup(of: pid, from: line) }
            if deferred != nil {
                addDeferring(event)
                return
            }
            kernel.add(event)
        case let .garbage(problem):
            countGarbage(problem)
        }
    }

    private mutating func nameCgroup(of pid: UInt32, from line: UnsafeRawBufferPointer) {
        lastPid = pid
        guard cgroupsByPid.index(forKey: pid) == nil else { return }
        cgroupsByPid.updateValue(WireEventLineParser.cgroupPath(in: line).map(ProcessCgroup.init(path:)), forKey: pid)
    }

    private mutating func countGarbage(_ problem: WireEventLineProblem) {
        garbage += 1
        if firstGarbage == nil { firstGarbage = (lines, problem) }
    }

    /// Throws when the log held no JSON record at all: only garbage, or nothing.
    public func validate(path: String) throws(SockdiagError) {
        if let abandonedAfter {
            throw .invalidInput("\(path) is not a 'sockdiag trace --json' event log: \(abandonedAfter >> 20) MiB without an event line (an input that does not end?)")
        }
        guard records == 0 else { return }
        if let first = firstGarbage {
            let why = if case .tooLong = first.problem { "line \(first.line) is \(first.problem)" }
                      else { "line \(first.line): \(first.problem)" }
            throw .invalidInput("\(path) is not a 'sockdiag trace --json' event log: \(why)")
        }
        throw .invalidInput("\(path) holds no events: a 'sockdiag trace --json' log has at least its summary line")
    }
}

extension WireEventLogReader {
    /// Where to cut a log of `log.count` bytes into parts of about `partBytes` each (at least
    /// `log.count / maximumParts`): the offsets of the parts' first lines, 0 first. Every part
    /// but the last ends with a newline.
    public static func partStarts(of log: UnsafeRawBufferPointer, partBytes: Int, maximumParts: Int) -> [Int] {
        let partBytes = max(partBytes, 1, log.count / max(maximumParts, 1))
        var starts = [0]
        var target = partBytes
        while target < log.count, let newline = log.firstNewline(from: target - 1, to: log.count), newline + 1 < log.count {
            if newline + 1 > starts.last! { starts.append(newline + 1) }
            target = max(newline + 1, target) + partBytes
        }
        return starts
    }
}

extension UnsafeRawBufferPointer {
    /// The next `\n` in `start..<end`, 32 bytes at a time in four words (a zero byte of
    /// `word ^ 0x0A0A...` marks a newline): as fast as libc's vectorised `memchr` on trace lines,
    /// without the C library. (SIMD32's `any` is not inlined across the module and costs a call
    /// per block.)
    @inline(__always)
    func firstNewline(from start: Int, to end: Int) -> Int? {
        guard start < end, let base = baseAddress else { return nil }
        @inline(__always) func newlines(_ word: UInt64) -> UInt64 {
            let x = word ^ 0x0A0A_0A0A_0A0A_0A0A
            // The high bit of each zero byte of x; a byte after the first one may be marked
            // wrongly, which the lowest mark never is.
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
        }
        var at = start
        while at &+ 32 <= end {
            let marks = newlines(base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                | newlines(base.loadUnaligned(fromByteOffset: at &+ 8, as: UInt64.self))
                | newlines(base.loadUnaligned(fromByteOffset: at &+ 16, as: UInt64.self))
                | newlines(base.loadUnaligned(fromByteOffset: at &+ 24, as: UInt64.self))
            if marks != 0 { break }
            at &+= 32
        }
        while at &+ 8 <= end {
            let marks = newlines(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
            if marks != 0 { return at &+ marks.trailingZeroBitCount >> 3 }
            at &+= 8
        }
        while at < end {
            if base.load(fromByteOffset: at, as: UInt8.self) == 0x0A { return at }
            at &+= 1
        }
        return nil
    }
}
