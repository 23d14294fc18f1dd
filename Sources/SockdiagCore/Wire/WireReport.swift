/// Where the packets came from, for the report.
public struct WireCaptureSummary: Sendable {
    public var file: String?
    public var interface: String?
    public var linkType: WireLinkType
    public var packets: UInt64
    /// Packets the kernel dropped before libpcap saw them (live only).
    public var dropped: UInt64?
    public var skipped: WireSkipCounts

    public init(file: String?, interface: String?, linkType: WireLinkType, packets: UInt64,
                dropped: UInt64?, skipped: WireSkipCounts) {
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
    public var file: String?
    public var lines: Int
    public var events: Int
    public var garbage: Int
    public var ignored: Int
    public var lost: UInt64

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
    public var events: WireEventsSummary

    public init(join: WireJoinResult, capture: WireCaptureSummary, events: WireEventsSummary) {
        self.join = join
        self.capture = capture
        self.events = events
    }

    public func json() -> [UInt8] {
        var w = WireJSONWriter(reserving: 256 + join.flows.count * 600)
        w.beginObject()
        w.key("flows")
        w.beginArray()
        for flow in join.flows { write(flow, to: &w) }
        w.endArray()
        w.key("summary")
        w.beginObject()
        w.key("flows"); w.number(join.flows.count)
        var counts = [WireVerdict: Int]()
        for flow in join.flows { counts[flow.verdict, default: 0] += 1 }
        for verdict in WireVerdict.allCases {
            w.key(verdict.rawValue.replacingHyphens); w.number(counts[verdict, default: 0])
        }
        w.endObject()
        w.key("capture")
        w.beginObject()
        w.key("file"); w.string(capture.file)
        w.key("interface"); w.string(capture.interface)
        w.key("link_type"); w.string(capture.linkType.rawValue)
        w.key("packets"); w.number(capture.packets)
        w.key("dropped"); w.number(capture.dropped)
        w.key("skipped"); w.number(capture.skipped.total)
        w.key("skipped_by_reason")
        w.beginObject()
        for reason in WireSkipReason.allCases { w.key(reason.key); w.number(capture.skipped[reason]) }
        w.endObject()
        w.endObject()
        w.key("events")
        w.beginObject()
        w.key("file"); w.string(events.file)
        w.key("lines"); w.number(events.lines)
        w.key("events"); w.number(events.events)
        w.key("garbage_lines"); w.number(events.garbage)
        w.key("ignored"); w.number(events.ignored)
        w.key("lost"); w.number(events.lost)
        w.endObject()
        w.endObject()
        w.finish()
        return w.bytes
    }

    private func write(_ flow: WireJoinedFlow, to w: inout WireJSONWriter) {
        w.beginObject()
        w.key("pid"); w.number(flow.kernel?.pid)
        w.key("comm")
        if let comm = flow.kernel?.comm, !comm.isEmpty { w.string(comm) } else { w.null() }
        w.key("cookie"); w.number(flow.kernel?.cookie)
        w.key("kernel")
        if let k = flow.kernel {
            w.beginObject()
            w.key("hook"); w.string(k.hook?.rawValue)
            w.key("socket_family"); w.string(k.socketFamily == .inet ? "inet" : "inet6")
            w.key("protocol"); w.string((k.transport ?? flow.wire?.key.transport)?.name)
            w.key("address"); w.address(k.address)
            w.key("port"); w.number(k.port)
            w.key("class"); w.string(k.addressKind.rawValue)
            w.key("local_address"); w.address(k.localAddress)
            w.key("local_port"); w.number(k.localPort)
            w.endObject()
        } else {
            w.null()
        }
        w.key("wire")
        if let f = flow.wire {
            w.beginObject()
            w.key("protocol"); w.string(f.key.isIPv6 ? "ipv6" : "ipv4")
            w.key("transport"); w.string(f.key.transport == .tcp ? "tcp" : "udp")
            w.key("src"); w.address(f.key.source)
            w.key("sport"); w.number(f.key.sourcePort)
            w.key("dst"); w.address(f.key.destination)
            w.key("dport"); w.number(f.key.destinationPort)
            w.key("packets"); w.number(f.packets)
            w.key("bytes"); w.number(f.bytes)
            w.key("first_time_ns"); w.number(f.firstTime)
            w.key("last_time_ns"); w.number(f.lastTime)
            w.endObject()
        } else {
            w.null()
        }
        w.key("verdict"); w.string(flow.verdict.rawValue)
        w.endObject()
    }
}

extension String {
    var replacingHyphens: String { String(map { $0 == "-" ? "_" : $0 }) }
}
