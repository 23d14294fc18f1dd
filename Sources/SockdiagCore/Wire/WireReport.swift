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
        var document: [UInt8] = []
        json { document += $0 }
        return document
    }

    /// The JSON document, handed to `sink` in pieces of about a megabyte: a report of many flows
    /// is never whole in memory.
    public func json(_ sink: ([UInt8]) -> Void) {
        var w = WireJSONWriter(reserving: 1 << 20 + 4096)
        w.beginObject()
        w.key("flows")
        w.beginArray()
        for flow in join.flows {
            write(flow, to: &w)
            if w.bytes.count >= 1 << 20 { w.drain(to: sink) }
        }
        w.endArray()
        w.key("summary")
        w.beginObject()
        w.key("flows"); w.number(join.flows.count)
        let counts = join.counts
        for verdict in WireVerdict.allCases {
            w.key(dynamic: verdict.rawValue.wireReplacingHyphens); w.number(counts[verdict.index])
        }
        w.endObject()
        w.key("capture")
        w.beginObject()
        w.key("file"); w.text(capture.file)
        w.key("interface"); w.text(capture.interface)
        w.key("link_type"); w.text(capture.linkType.rawValue)
        w.key("packets"); w.number(capture.packets)
        w.key("dropped"); w.number(capture.dropped)
        w.key("skipped"); w.number(capture.skipped.total)
        w.key("skipped_by_reason")
        w.beginObject()
        for reason in WireSkipReason.allCases { w.key(dynamic: reason.key); w.number(capture.skipped[reason]) }
        w.endObject()
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
        w.endObject()
        w.finish()
        w.drain(to: sink)
    }

    private func write(_ flow: WireJoinedFlow, to w: inout WireJSONWriter) {
        w.raw { out in
            func raw(_ text: StaticString) {
                out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
            }
            func number(_ value: UInt64?) {
                if let value { WireText.decimal(value, to: &out) } else { raw("null") }
            }
            func address(_ value: WireAddress?) {
                guard let value else { raw("null"); return }
                out.append(0x22); value.write(to: &out); out.append(0x22)
            }
            func text(_ value: String) {
                out.append(0x22); out.append(contentsOf: value.utf8); out.append(0x22)
            }
            let kernel = flow.kernel
            raw("{\"pid\":"); number(kernel?.pid.map(UInt64.init))
            raw(",\"comm\":")
            if let comm = kernel?.comm, !comm.isEmpty { WireJSONWriter.appendString(comm, to: &out) } else { raw("null") }
            raw(",\"cookie\":"); number(kernel?.cookie)
            raw(",\"kernel\":")
            if let k = kernel {
                raw("{\"hook\":")
                if let hook = k.hook { text(hook.rawValue) } else { raw("null") }
                raw(!k.socketFamily.wireIsInet6 ? ",\"socket_family\":\"inet\",\"protocol\":" : ",\"socket_family\":\"inet6\",\"protocol\":")
                switch k.transport ?? flow.wire?.key.transport {
                case .tcp?: raw("\"tcp\"")
                case .udp?: raw("\"udp\"")
                case nil: raw("null")
                }
                raw(",\"address\":"); address(k.address)
                raw(",\"port\":"); number(UInt64(k.port))
                raw(",\"class\":"); text(k.addressKind.rawValue)
                raw(",\"local_address\":"); address(k.localAddress)
                raw(",\"local_port\":"); number(k.localPort.map(UInt64.init))
                raw("}")
            } else {
                raw("null")
            }
            raw(",\"wire\":")
            if let f = flow.wire {
                raw(f.key.isIPv6 ? "{\"protocol\":\"ipv6\"" : "{\"protocol\":\"ipv4\"")
                raw(f.key.transport.rawValue == 6 ? ",\"transport\":\"tcp\",\"src\":" : ",\"transport\":\"udp\",\"src\":")
                address(f.key.source)
                raw(",\"sport\":"); number(UInt64(f.key.sourcePort))
                raw(",\"dst\":"); address(f.key.destination)
                raw(",\"dport\":"); number(UInt64(f.key.destinationPort))
                raw(",\"packets\":"); number(f.packets)
                raw(",\"bytes\":"); number(f.bytes)
                raw(",\"first_time_ns\":"); number(f.firstTime)
                raw(",\"last_time_ns\":"); number(f.lastTime)
                raw("}")
            } else {
                raw("null")
            }
            raw(",\"verdict\":"); text(flow.verdict.rawValue)
            raw("}")
        }
    }
}

extension String {
    var wireReplacingHyphens: String { String(map { $0 == "-" ? "_" : $0 }) }
}
