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
        /// The path of the last cgroup `appendCgroupKeys` wrote, and its keys' bytes.
        var cachedCgroupPath: String?
        var cachedCgroupKeys: [UInt8] = []

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

    private let storage: Storage

    public init() { storage = Storage(capacity: 1 << 17) }

    init(capacity: Int) { storage = Storage(capacity: capacity) }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.count == 0 }
    /// A copy of the bytes (for tests; writers use `withUnsafeBytes`).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage.base, count: storage.count)) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base, count: storage.count))
    }

    public mutating func removeAll() { storage.count = 0 }

    public mutating func append(_ text: String) { appendUTF8(text) }

    /// The start of every event line: the object's brace and its schema, `JSONSchemaID.traceEvent`
    /// (a test holds them equal). The event log reader's fast path expects it, or its absence in logs
    /// written before events named their schema.
    static let schemaPrefix: StaticString = #"{"schema":"sockdiag.trace-event/1","#

    /// The key's `fragment`: `,"time_ns":`.
    @inline(__always)
    mutating func key(_ key: TraceEventKey) {
        append(key.fragment)
    }
}

extension TraceOutputBuffer: ByteSink {
    @inline(__always)
    public mutating func append(contentsOf source: UnsafeBufferPointer<UInt8>) {
        guard let from = source.baseAddress, source.count > 0 else { return }
        storage.reserve(source.count)
        (storage.base + storage.count).update(from: from, count: source.count)
        storage.count += source.count
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        storage.reserve(1)
        storage.base[storage.count] = byte
        storage.count += 1
    }
}

extension TraceEvent {
    /// Appends the event's JSON line (with its newline).
    public func appendJSONLine(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        switch self {
        case let .socketCall(call): call.appendJSONLine(lesson: lesson, to: &out)
        case let .egress(egress): egress.appendJSONLine(lesson: lesson, to: &out)
        case let .outcome(outcome): outcome.appendJSONLine(lesson: lesson, to: &out)
        }
    }
}

extension TraceOutputBuffer {
    /// The keys every event line ends with: its process's workload, its lesson, the brace.
    @inline(__always)
    mutating func appendLineEnd(_ cgroup: ProcessCgroup?, lesson: TraceLesson?) {
        appendCgroupKeys(cgroup)
        key(.lesson)
        if let lesson { appendLessonText(lesson) } else { appendJSONNull() }
        append(TraceOutputBuffer.lineEnd)
    }

    static let lineEnd: StaticString = "}\n"

    /// A case's name (`connect6`, `inet6`, `timed-out`) as a JSON string: names are plain
    /// identifiers, copied without looking for characters to escape.
    @inline(__always)
    mutating func appendJSONName(_ name: String) {
        append(0x22)
        var name = name
        name.withUTF8 { append(contentsOf: $0) }
        append(0x22)
    }

    mutating func appendJSONName(_ name: String?) {
        if let name { appendJSONName(name) } else { appendJSONNull() }
    }

    /// `appendJSONCgroupKeys`, with the bytes of the last cgroup written kept: a trace's events
    /// come from a few cgroups, and their keys are the longest strings of a line.
    mutating func appendCgroupKeys(_ cgroup: ProcessCgroup?) {
        guard let cgroup else {
            append(TraceOutputBuffer.noCgroupKeys)
            return
        }
        let storage = self.storage
        // The workload is read from the path: the same path writes the same keys.
        if storage.cachedCgroupPath != cgroup.path {
            var keys = TraceOutputBuffer(capacity: 256)
            keys.appendJSONCgroupKeys(cgroup)
            storage.cachedCgroupPath = cgroup.path
            storage.cachedCgroupKeys = keys.bytes
        }
        storage.cachedCgroupKeys.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// `appendJSONCgroupKeys(nil)`.
    static let noCgroupKeys: StaticString = #","cgroup":null,"unit":null,"container":null"#

    /// A lesson's text as a JSON string, escaped once per run.
    mutating func appendLessonText(_ lesson: TraceLesson) {
        TraceOutputBuffer.lessonTexts[lesson.ordinal].withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    static let lessonTexts: [[UInt8]] = TraceLesson.allCases.map { lesson in
        var text = TraceOutputBuffer(capacity: 512)
        text.appendJSONString(lesson.text)
        return text.bytes
    }
}

extension TraceLesson {
    /// Position in `allCases`.
    var ordinal: Int { TraceLesson.allCases.firstIndex(of: self)! }
}

extension TraceSocketCall {
    /// Appends the call's JSON line (with its newline): `TraceEvent.appendJSONLine` without the event.
    public func appendJSONLine(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        appendJSON(lesson: lesson, to: &out)
        out.appendLineEnd(context.cgroup, lesson: lesson)
    }
}

extension TraceEgress {
    /// Appends the record's JSON line (with its newline).
    public func appendJSONLine(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        appendJSON(lesson: lesson, to: &out)
        out.appendLineEnd(cgroup, lesson: lesson)
    }
}

extension TraceOutcome {
    /// Appends the outcome's JSON line (with its newline).
    public func appendJSONLine(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        appendJSON(lesson: lesson, to: &out)
        out.appendLineEnd(cgroup, lesson: lesson)
    }
}

extension TraceSocketCall {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        let classification = self.classification, c = context
        out.append(TraceOutputBuffer.schemaPrefix)
        out.key(.event); out.appendJSONName(c.hook.call.rawValue)
        out.key(.hook); out.appendJSONName(c.hook.rawValue)
        out.key(.timeNs); out.appendJSONNumber(c.timeNs)
        out.key(.pid); out.appendJSONNumber(c.pid)
        out.key(.tid); out.appendJSONNumber(c.tid)
        out.key(.comm); out.appendJSONString(c.comm)
        out.key(.uid); out.appendJSONNumber(c.uid)
        out.key(.cgroupID); out.appendJSONNumber(c.cgroupID)
        out.key(.cookie); out.appendJSONNumber(c.cookie)
        out.key(.socketFamily); out.appendJSONName(c.socketFamily.rawValue)
        out.key(.protocol); out.appendJSONName(c.transport?.rawValue)
        out.key(.address); out.appendJSONString(address)
        out.key(.port); out.appendJSONNumber(port.value)
        out.key(.class); out.appendJSONName(classification.kind.rawValue)
        if let v4 = classification.embeddedIPv4 { out.key(.ipv4); out.appendJSONString(.v4(v4)) }
        out.key(.scope); out.appendJSONName(classification.scope.rawValue)
        if let nat64 {
            out.key(.nat64Prefix); out.appendJSONString(nat64.prefix.displayed)
            out.key(.nat64PrefixSource); out.appendJSONString(nat64.prefix.source.description)
        }
        out.key(.hookAddress); out.appendJSONString(hookAddress)
    }
}

extension TraceEgress {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        out.append(TraceOutputBuffer.schemaPrefix)
        out.key(.event); out.appendJSONName("egress"); out.key(.final); out.appendJSONBool(isFinal)
        out.key(.timeNs); out.appendJSONNumber(timeNs)
        out.key(.cookie); out.appendJSONNumber(cookie)
        out.key(.pid); if let pid { out.appendJSONNumber(pid) } else { out.appendJSONNull() }
        out.key(.comm); out.appendJSONString(comm)
        out.key(.socketFamily); out.appendJSONName(socketFamily.rawValue)
        out.key(.wireProtocol); out.appendJSONName(wireProtocol.rawValue)
        out.key(.protocol); out.appendJSONName(transport?.rawValue)
        out.key(.localAddress); out.appendJSONString(local.address)
        out.key(.localPort); out.appendJSONNumber(local.port.value)
        out.key(.remoteAddress); out.appendJSONString(remote.address)
        out.key(.remotePort); out.appendJSONNumber(remote.port.value)
        out.key(.packets); out.appendJSONNumber(packets)
        out.key(.bytes); out.appendJSONNumber(bytes)
    }
}

extension TraceOutcome {
    fileprivate func appendJSON(lesson: TraceLesson?, to out: inout TraceOutputBuffer) {
        out.append(TraceOutputBuffer.schemaPrefix)
        out.key(.event); out.appendJSONName("outcome"); out.key(.outcome); out.appendJSONName(kind.rawValue)
        out.key(.timeNs); out.appendJSONNumber(timeNs)
        out.key(.cookie); out.appendJSONNumber(cookie)
        out.key(.pid); out.appendJSONNumber(pid)
        out.key(.comm); out.appendJSONString(comm)
        out.key(.socketFamily); out.appendJSONName(socketFamily?.rawValue)
        out.key(.protocol); out.appendJSONName(transport.rawValue)
        out.key(.address); if let remote { out.appendJSONString(remote.address) } else { out.appendJSONNull() }
        out.key(.port); out.appendJSONNumber(remote?.port.value)
        out.key(.localAddress); if let local { out.appendJSONString(local.address) } else { out.appendJSONNull() }
        out.key(.localPort); out.appendJSONNumber(local?.port.value)
        out.key(.elapsedNs); out.appendJSONNumber(elapsedNs)
        out.key(.synRetransmits); out.appendJSONNumber(synRetransmits)
        out.key(.rttMicroseconds); out.appendJSONNumber(rttMicroseconds)
        out.key(.bytesSent); out.appendJSONNumber(bytesSent)
        out.key(.bytesReceived); out.appendJSONNumber(bytesReceived)
        out.key(.error); out.appendJSONString(error?.name)
        out.key(.icmp); out.appendJSONString(icmp)
        out.key(.resetBy); out.appendJSONName(resetBy?.rawValue)
        out.key(.group); out.appendJSONNumber(group)
    }
}
