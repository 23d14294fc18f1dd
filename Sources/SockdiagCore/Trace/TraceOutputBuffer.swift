/// Bytes of trace output built without intermediate strings: a busy cgroup makes tens of
/// thousands of events per second, and the reader shares the CPUs with the traced programs.
/// The JSON it writes is byte for byte what `TraceEvent.json(lesson:).compact` gives.
/// One writer owns a buffer; copies share its bytes.
public struct TraceOutputBuffer {
    /// One growable allocation, owned here; appends check capacity and copy, nothing more.
    private final class Storage {
        var base: UnsafeMutablePointer<UInt8>
        var capacity: Int
        var count = 0

        init(capacity: Int) {
            self.capacity = capacity
            base = .allocate(capacity: capacity)
        }

        @inline(__always)
        func reserve(_ extra: Int) {
            if count + extra > capacity { grow(extra) }
        }

        @inline(never)
        private func grow(_ extra: Int) {
            let grown = max(capacity * 2, count + extra)
            let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            moved.update(from: base, count: count)
            base.deallocate()
            base = moved
            capacity = grown
        }

        deinit { base.deallocate() }
    }

    private let storage = Storage(capacity: 1 << 17)
    /// Text of native IPv6 addresses by value: a trace sees the same few peers over and over.
    private var ipv6Text: [IPv6Address: [UInt8]] = [:]

    public init() {}

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }
    /// A copy of the bytes (for tests; writers use `withUnsafeBytes`).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage.base, count: storage.count)) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
    }

    public mutating func removeAll() { storage.count = 0 }

    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { copy(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    private func copy(_ source: UnsafeRawBufferPointer) {
        guard let from = source.baseAddress, source.count > 0 else { return }
        storage.reserve(source.count)
        (storage.base + storage.count).update(from: from.assumingMemoryBound(to: UInt8.self), count: source.count)
        storage.count += source.count
    }

    @inline(__always)
    private func byte(_ value: UInt8) {
        storage.reserve(1)
        storage.base[storage.count] = value
        storage.count += 1
    }

    /// The start of every event line: the object's brace and its schema, `JSONSchemaID.traceEvent`
    /// (a test holds them equal). The event log reader's fast path expects it, or its absence in logs
    /// written before events named their schema.
    static let schemaPrefix: StaticString = #"{"schema":"sockdiag.trace-event/1","#

    /// The key's `fragment`: `,"time_ns":`.
    @inline(__always)
    mutating func key(_ key: TraceEventKey) {
        raw(key.fragment)
    }

    mutating func raw(_ text: StaticString) {
        copy(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `"text"`, escaped as JSON requires.
    mutating func quoted(_ text: String) {
        var text = text
        let plain = text.withUTF8 { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            byte(UInt8(ascii: "\""))
            copy(UnsafeRawBufferPointer(utf8))
            byte(UInt8(ascii: "\""))
            return true
        }
        if !plain {
            var escaped = ""
            JSON.writeEscaped(text, to: &escaped)
            append(escaped)
        }
    }

    mutating func quoted(_ address: IPAddress) {
        byte(UInt8(ascii: "\""))
        switch address {
        case let .v4(v4):
            dottedQuad(v4)
        case let .v6(v6):
            if let v4 = v6.unmapped, v6.zone == nil {
                raw("::ffff:")
                dottedQuad(v4)
            } else if let known = ipv6Text[v6] {
                known.withUnsafeBytes { copy($0) }
            } else {
                let made = Array(v6.description.utf8)
                if ipv6Text.count >= 4096 { ipv6Text.removeAll(keepingCapacity: true) }
                ipv6Text[v6] = made
                made.withUnsafeBytes { copy($0) }
            }
        }
        byte(UInt8(ascii: "\""))
    }

    private func dottedQuad(_ address: IPv4Address) {
        let value = address.value
        decimal(UInt64(value >> 24))
        byte(UInt8(ascii: "."))
        decimal(UInt64((value >> 16) & 0xFF))
        byte(UInt8(ascii: "."))
        decimal(UInt64((value >> 8) & 0xFF))
        byte(UInt8(ascii: "."))
        decimal(UInt64(value & 0xFF))
    }

    mutating func number<I: BinaryInteger>(_ value: I) {
        if value < 0 {
            byte(UInt8(ascii: "-"))
            decimal(UInt64(-Int64(value)))
        } else {
            decimal(UInt64(value))
        }
    }

    private func decimal(_ value: UInt64) {
        if value < 10 {
            byte(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: room for 20 digits
        var value = value
        withUnsafeMutableBytes(of: &scratch) { digits in
            var start = digits.count
            while value > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            copy(UnsafeRawBufferPointer(rebasing: digits[start...]))
        }
    }

    mutating func optionalQuoted(_ text: String?) {
        if let text { quoted(text) } else { raw("null") }
    }

    mutating func optionalNumber<I: BinaryInteger>(_ value: I?) {
        if let value { number(value) } else { raw("null") }
    }
}

extension TraceOutputBuffer {
    /// `"cgroup":…,"unit":…,"container":{…}` of the event's process (nulls when unknown).
    mutating func cgroupKeys(_ cgroup: ProcessCgroup?) {
        key(.cgroup); optionalQuoted(cgroup?.path)
        key(.unit); optionalQuoted(cgroup?.workload.unit?.name)
        key(.container)
        if let container = cgroup?.workload.container {
            raw(#"{"runtime":"#); quoted(container.runtime.rawValue); raw(#","id":"#); quoted(container.id); raw("}")
        } else {
            raw("null")
        }
    }
}

extension TraceEvent {
    /// Appends the event's JSON line (with its newline).
    public func appendJSONLine(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        switch self {
        case let .socketCall(call): call.appendJSON(lesson: lesson, to: &out)
        case let .egress(egress): egress.appendJSON(lesson: lesson, to: &out)
        case let .outcome(outcome): outcome.appendJSON(lesson: lesson, to: &out)
        }
        out.cgroupKeys(processCgroup)
        out.key(.lesson)
        out.optionalQuoted(lesson?.text)
        out.raw("}\n")
    }
}

extension TraceSocketCall {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        let classification = self.classification, c = context
        out.raw(TraceOutputBuffer.schemaPrefix)
        out.key(.event); out.quoted(c.hook.call.rawValue)
        out.key(.hook); out.quoted(c.hook.rawValue)
        out.key(.timeNs); out.number(c.timeNs)
        out.key(.pid); out.number(c.pid)
        out.key(.tid); out.number(c.tid)
        out.key(.comm); out.quoted(c.comm)
        out.key(.uid); out.number(c.uid)
        out.key(.cgroupID); out.number(c.cgroupID)
        out.key(.cookie); out.number(c.cookie)
        out.key(.socketFamily); out.quoted(c.socketFamily.rawValue)
        out.key(.protocol); out.optionalQuoted(c.transport?.rawValue)
        out.key(.address); out.quoted(address)
        out.key(.port); out.number(port.value)
        out.key(.class); out.quoted(classification.kind.rawValue)
        if let v4 = classification.embeddedIPv4 { out.key(.ipv4); out.quoted(.v4(v4)) }
        out.key(.scope); out.quoted(classification.scope.rawValue)
        if let nat64 {
            out.key(.nat64Prefix); out.quoted(nat64.prefix.displayed)
            out.key(.nat64PrefixSource); out.quoted(nat64.prefix.source.description)
        }
        out.key(.hookAddress); out.quoted(hookAddress)
    }
}

extension TraceEgress {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        out.raw(TraceOutputBuffer.schemaPrefix)
        out.key(.event); out.raw(#""egress""#); out.key(.final); out.raw(isFinal ? "true" : "false")
        out.key(.timeNs); out.number(timeNs)
        out.key(.cookie); out.number(cookie)
        out.key(.pid); if let pid { out.number(pid) } else { out.raw("null") }
        out.key(.comm); out.optionalQuoted(comm)
        out.key(.socketFamily); out.quoted(socketFamily.rawValue)
        out.key(.wireProtocol); out.quoted(wireProtocol.rawValue)
        out.key(.protocol); out.optionalQuoted(transport?.rawValue)
        out.key(.localAddress); out.quoted(local.address)
        out.key(.localPort); out.number(local.port.value)
        out.key(.remoteAddress); out.quoted(remote.address)
        out.key(.remotePort); out.number(remote.port.value)
        out.key(.packets); out.number(packets)
        out.key(.bytes); out.number(bytes)
    }
}

extension TraceOutcome {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        out.raw(TraceOutputBuffer.schemaPrefix)
        out.key(.event); out.raw(#""outcome""#); out.key(.outcome); out.quoted(kind.rawValue)
        out.key(.timeNs); out.number(timeNs)
        out.key(.cookie); out.number(cookie)
        out.key(.pid); out.optionalNumber(pid)
        out.key(.comm); out.optionalQuoted(comm)
        out.key(.socketFamily); out.optionalQuoted(socketFamily?.rawValue)
        out.key(.protocol); out.quoted(transport.rawValue)
        out.key(.address); if let remote { out.quoted(remote.address) } else { out.raw("null") }
        out.key(.port); out.optionalNumber(remote?.port.value)
        out.key(.localAddress); if let local { out.quoted(local.address) } else { out.raw("null") }
        out.key(.localPort); out.optionalNumber(local?.port.value)
        out.key(.elapsedNs); out.number(elapsedNs)
        out.key(.synRetransmits); out.optionalNumber(synRetransmits)
        out.key(.rttMicroseconds); out.optionalNumber(rttMicroseconds)
        out.key(.bytesSent); out.optionalNumber(bytesSent)
        out.key(.bytesReceived); out.optionalNumber(bytesReceived)
        out.key(.error); out.optionalQuoted(error?.name)
        out.key(.icmp); out.optionalQuoted(icmp)
        out.key(.resetBy); out.optionalQuoted(resetBy?.rawValue)
        out.key(.group); out.optionalNumber(group)
    }
}
