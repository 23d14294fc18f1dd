/// Where the packets came from, for the report.
public struct WireCaptureSummary: Sendable {
    public var file: String?
    var interface: String?
    /// Live: the network namespace the capture was opened in, as `ip netns` or /proc names it.
    var netns: String?
    var linkType: WireLinkType
    public var packets: UInt64
    /// Packets the kernel dropped before libpcap saw them (live only).
    var dropped: UInt64?
    var skipped: WireSkipCounts
    /// Set when a capture file stopped in the middle of a record (cut off, or still being
    /// written): libpcap's words. The report covers the packets before the cut.
    public var endedEarly: String?
    /// Names of the interfaces flows were seen on, by index (live: read before the run ends; a
    /// file's Linux cooked v2 records carry indexes only).
    public var interfaceNames: [UInt32: String] = [:]

    /// `lo`, or `ifindex 7` where the name is not known.
    func interfaceName(_ index: UInt32) -> String { interfaceNames[index] ?? "ifindex \(index)" }

    public init(file: String?, interface: String?, linkType: WireLinkType, packets: UInt64,
                dropped: UInt64?, skipped: WireSkipCounts, endedEarly: String? = nil, netns: String? = nil) {
        self.endedEarly = endedEarly
        self.netns = netns
        self.file = file
        self.interface = interface
        self.linkType = linkType
        self.packets = packets
        self.dropped = dropped
        self.skipped = skipped
    }
}

/// Where the kernel's events came from, for the report.
public struct WireEventsSummary: Sendable {
    var file: String?
    var lines: Int
    var events: Int
    var garbage: Int
    var ignored: Int
    var lost: UInt64

    public init(file: String?, lines: Int, events: Int, garbage: Int, ignored: Int, lost: UInt64) {
        self.file = file
        self.lines = lines
        self.events = events
        self.garbage = garbage
        self.ignored = ignored
        self.lost = lost
    }

    public init(file: String, reader: WireEventLogReader) {
        self.init(file: file, lines: reader.lines, events: reader.events, garbage: reader.garbage,
                  ignored: reader.kernel.ignoredEvents, lost: reader.kernel.lost)
    }
}

public struct WireReport: Sendable {
    public var join: WireJoinResult
    public var capture: WireCaptureSummary
    var events: WireEventsSummary
    /// How `-- CMD` ended (live runs with a command); nil otherwise.
    public var command: TraceCommandResult?
    /// Set when the watched cgroup was removed under a live run (`cgroup PATH`, `cgroup PATH of unit
    /// NAME`): the run ended there, and fails after its report.
    public var cgroupRemoved: String?
    /// The cgroup of each process the rows name, where the run could look it up (live runs).
    var processCgroups: [UInt32: ProcessCgroup]

    public init(join: WireJoinResult, capture: WireCaptureSummary, events: WireEventsSummary,
                command: TraceCommandResult? = nil, cgroupRemoved: String? = nil,
                processCgroups: [UInt32: ProcessCgroup] = [:]) {
        self.processCgroups = processCgroups
        self.join = join
        self.capture = capture
        self.events = events
        self.command = command
        self.cgroupRemoved = cgroupRemoved
    }

    public func json() -> [UInt8] {
        var document: [UInt8] = []
        json { document += $0 }
        return document
    }

    /// The JSON document, handed to `sink` in pieces of about a megabyte: a report of many flows
    /// is never whole in memory.
    public func json(_ sink: (UnsafeRawBufferPointer) -> Void) {
        json(sink) { sink in jsonFlows(join.flows.indices, to: sink) }
    }

    /// The JSON document, with the elements of its `flows` array written by `writeFlows`, which
    /// hands `jsonFlows` of consecutive ranges to the sink in order: ranges can be rendered on
    /// other cores, since each flow's text depends only on the flow and its index.
    public func json(_ sink: (UnsafeRawBufferPointer) -> Void,
                     writeFlows: ((UnsafeRawBufferPointer) -> Void) throws -> Void) rethrows {
        var w = JSONWriter(indentedLevels: 2, reserving: 4096)
        w.beginObject()
        w.key("schema"); w.text(JSONSchemaID.compareWire)
        w.key("flows")
        w.beginArray()
        w.drain { $0.withUnsafeBytes(sink) }
        try withoutActuallyEscaping(sink) { sink in try writeFlows(sink) }
        w.valuesWrittenElsewhere(!join.flows.isEmpty)
        w.endArray()
        w.key("summary")
        w.beginObject()
        w.key("flows"); w.number(join.flows.count)
        let counts = join.counts
        for verdict in WireVerdict.allCases {
            w.key(dynamic: verdict.rawValue.wireReplacingHyphens); w.number(counts[verdict.index])
        }
        w.endObject()
        w.key("nat64_prefixes")
        w.beginArray()
        for known in join.nat64.known {
            w.beginObject()
            w.key("prefix"); w.text(known.displayed)
            w.key("source"); w.text(known.source.key)
            w.key("detail"); w.text(known.source.description)
            w.endObject()
        }
        w.endArray()
        w.key("nat64_discovery"); w.text(join.nat64.discoveryNote)
        w.key("capture")
        w.beginObject()
        w.key("file"); w.text(capture.file)
        w.key("interface"); w.text(capture.interface)
        w.key("netns"); w.text(capture.netns)
        w.key("link_type"); w.text(capture.linkType.rawValue)
        w.key("packets"); w.number(capture.packets)
        w.key("dropped"); w.number(capture.dropped)
        w.key("skipped"); w.number(capture.skipped.total)
        w.key("skipped_by_reason")
        w.beginObject()
        for reason in WireSkipReason.allCases { w.key(dynamic: reason.key); w.number(capture.skipped[reason]) }
        w.endObject()
        w.key("ended_early"); w.text(capture.endedEarly)
        w.endObject()
        w.key("events")
        w.beginObject()
        w.key("file"); w.text(events.file)
        w.key("lines"); w.number(events.lines)
        w.key("events"); w.number(events.events)
        w.key("garbage_lines"); w.number(events.garbage)
        w.key("ignored"); w.number(events.ignored)
        w.key("lost"); w.number(events.lost)
        w.endObject()
        w.key("command")
        if let command { w.compact(command.json) } else { w.null() }
        w.endObject()
        w.finish()
        w.drain { $0.withUnsafeBytes(sink) }
    }

    /// The longest a flow's line can be: the separator, the literal text, six quoted IPv6 addresses, twelve
    /// 20-digit numbers, a 16-byte process name escaped 6 bytes per byte, four interface names escaped
    /// 2 bytes per byte, a prefix and its source's text (bounded at 200 bytes), and the short enum names.
    static let flowBound = 4096

    /// Flows written into memory before it is handed on: about a megabyte.
    private static let flowsPerPiece = (1 << 20) / flowBound

    /// The flows in `range` as elements of the report's `flows` array (the first one without the
    /// comma), one per line, handed to `sink` in pieces of at most about a megabyte.
    public func jsonFlows(_ range: Range<Int>, to sink: (UnsafeRawBufferPointer) -> Void) {
        let piece = WireJSONBlock()
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + WireReport.flowsPerPiece, range.upperBound)
            piece.removeAll()
            jsonFlows(start..<end, appendingTo: piece)
            piece.withBytes(sink)
            start = end
        }
    }

    /// The flows in `range` as `jsonFlows(_:to:)` writes them, appended to `block`: written where
    /// they stay, with no copy, into memory kept from block to block, touched once (fresh memory
    /// per block costs the kernel's zeroing of its pages again, on a large report more than the
    /// rendering).
    public func jsonFlows(_ range: Range<Int>, appendingTo block: WireJSONBlock) {
        block.append(atMost: range.count * WireReport.flowBound) { out in
            // Rows of one process come together: its cgroup keys are rendered once per run of them.
            var memo = RowMemo(processCgroups)
            for index in range {
                if index > 0 { out.append(0x2C) }
                out.append("\n    ")
                write(join.flows[index], memo: &memo, to: &out)
            }
        }
    }

    /// What consecutive rows most often repeat, rendered once and copied: the cgroup keys of a
    /// row's process (the next row is most often the same process's) and the connect's error name.
    /// Rendering them took about a tenth of a report's rendering.
    private struct RowMemo {
        let byPid: [UInt32: ProcessCgroup]
        var lastPid: UInt32?
        /// The `cgroup`, `unit` and `container` keys of `lastPid`'s rows.
        var lastCgroupKeys: [UInt8] = []
        var lastError: Errno?
        /// `lastError`'s name as a JSON string.
        var lastErrorName: [UInt8] = []

        init(_ byPid: [UInt32: ProcessCgroup]) { self.byPid = byPid }

        /// A path too long for the row's scratch memory gives nulls.
        mutating func appendCgroupKeys(of pid: UInt32?, to out: inout ByteCursor) {
            guard let pid, !byPid.isEmpty else { out.appendJSONCgroupKeys(nil); return }
            if pid != lastPid {
                lastPid = pid
                lastCgroupKeys.removeAll(keepingCapacity: true)
                lastCgroupKeys.appendJSONCgroupKeys(byPid[pid].flatMap { $0.path.utf8.count <= 1024 ? $0 : nil })
            }
            lastCgroupKeys.withUnsafeBufferPointer { out.append(contentsOf: $0) }
        }

        mutating func appendErrorName(_ error: Errno?, to out: inout ByteCursor) {
            guard let error else { out.appendJSONNull(); return }
            if error != lastError {
                lastError = error
                lastErrorName.removeAll(keepingCapacity: true)
                lastErrorName.appendJSONString(error.name)
            }
            lastErrorName.withUnsafeBufferPointer { out.append(contentsOf: $0) }
        }
    }

    /// One flow as a compact object, written through a cursor into memory with room for
    /// `flowBound` bytes.
    private func write(_ flow: WireJoinedFlow, memo: inout RowMemo, to out: inout ByteCursor) {
        let kernel = flow.kernel
        out.appendJSONObject(firstKey: "pid"); out.appendJSONNumber(kernel?.pid)
        out.appendJSONKey("comm")
        if let comm = kernel?.comm, !comm.isEmpty { out.appendJSONString(comm) } else { out.appendJSONNull() }
        out.appendJSONKey("cookie"); out.appendJSONNumber(kernel?.cookie)
        memo.appendCgroupKeys(of: kernel?.pid, to: &out)
        out.appendJSONKey("kernel")
        if let k = kernel {
            out.appendJSONObject(firstKey: "hook")
            if let hook = k.hook { out.appendJSONString(hook.name) } else { out.appendJSONNull() }
            out.appendJSONKey("socket_family"); out.appendJSONString(k.socketFamily.wireIsInet6 ? "inet6" : "inet")
            out.appendJSONKey("protocol")
            if let transport = k.transport ?? flow.wire?.key.transport { out.appendJSONString(transport.name) } else { out.appendJSONNull() }
            out.appendJSONKey("address"); out.appendJSONString(k.address)
            out.appendJSONKey("port"); out.appendJSONNumber(k.port)
            out.appendJSONKey("class"); out.appendJSONString(k.addressKind.name)
            out.appendJSONKey("local_address"); out.appendJSONString(k.localAddress)
            out.appendJSONKey("local_port"); out.appendJSONNumber(k.localPort)
            out.append(0x7D)
        } else {
            out.appendJSONNull()
        }
        out.appendJSONKey("wire")
        // A translated row's `wire` is its IPv6 side; `translation.ipv4_side` the other.
        let translatedSides = flow.translated.flatMap { other in flow.wire.map { $0.key.isIPv6 ? ($0, other) : (other, $0) } }
        if let f = translatedSides?.0 ?? flow.wire { write(f, to: &out) } else { out.appendJSONNull() }
        out.appendJSONKey("translation")
        if let t = flow.translation, let sides = translatedSides {
            out.appendJSONObject(firstKey: "kind"); out.appendJSONString(t.kind.rawValue)
            out.appendJSONKey("prefix"); out.appendJSONString(t.prefix.displayed)
            out.appendJSONKey("prefix_source"); out.appendJSONString(t.prefix.source.key)
            out.appendJSONKey("prefix_source_detail")
            out.appendJSONString(String(t.prefix.source.description.prefix(200)), controlCharacters: .replaced)
            out.appendJSONKey("ipv4"); out.appendJSONString(WireAddress(t.ipv4))
            out.appendJSONKey("ipv4_side"); write(sides.1, to: &out)
            out.append(0x7D)
        } else {
            out.appendJSONNull()
        }
        out.appendJSONKey("verdict"); out.appendJSONString(flow.verdict.name)
        out.appendJSONKey("outcome")
        if let outcome = kernel?.outcome {
            out.appendJSONObject(firstKey: "connect")
            if let connect = outcome.connect { out.appendJSONString(connect.name) } else { out.appendJSONNull() }
            out.appendJSONKey("elapsed_ns"); out.appendJSONNumber(outcome.connectElapsedNs)
            out.appendJSONKey("error"); memo.appendErrorName(outcome.error, to: &out)
            out.appendJSONKey("end")
            if let end = outcome.end { out.appendJSONString(end.name) } else { out.appendJSONNull() }
            out.append(0x7D)
        } else {
            out.appendJSONNull()
        }
        out.append(0x7D)
    }

    /// One direction's packets as the `wire` (or `ipv4_side`) object of a row.
    private func write(_ f: WireFlow, to out: inout ByteCursor) {
        out.appendJSONObject(firstKey: "protocol"); out.appendJSONString(f.key.isIPv6 ? "ipv6" : "ipv4")
        out.appendJSONKey("transport"); out.appendJSONString(f.key.transport.name)
        out.appendJSONKey("src"); out.appendJSONString(f.key.source)
        out.appendJSONKey("sport"); out.appendJSONNumber(f.key.sourcePort)
        out.appendJSONKey("dst"); out.appendJSONString(f.key.destination)
        out.appendJSONKey("dport"); out.appendJSONNumber(f.key.destinationPort)
        out.appendJSONKey("packets"); out.appendJSONNumber(f.packets)
        out.appendJSONKey("bytes"); out.appendJSONNumber(f.bytes)
        out.appendJSONKey("first_time_ns"); out.appendJSONNumber(f.firstTime)
        out.appendJSONKey("last_time_ns"); out.appendJSONNumber(f.lastTime)
        out.appendJSONKey("interfaces")
        out.append(0x5B)
        // The two kept indexes in place, not `indexes`, an array made per flow.
        if f.interfaces.first != 0 {
            out.appendJSONString(capture.interfaceName(f.interfaces.first), controlCharacters: .replaced)
        }
        if f.interfaces.second != 0 {
            if f.interfaces.first != 0 { out.append(0x2C) }
            out.appendJSONString(capture.interfaceName(f.interfaces.second), controlCharacters: .replaced)
        }
        out.append(0x5D)
        out.append(0x7D)
    }
}

extension String {
    var wireReplacingHyphens: String { String(map { $0 == "-" ? "_" : $0 }) }
}
