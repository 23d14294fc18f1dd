/// Why a line of the event log was not an event.
enum WireEventLineProblem: Equatable, Sendable, CustomStringConvertible {
    case notAnObject
    case badSyntax(offset: Int)
    case trailingText(offset: Int)
    case missingKey(event: WireKernelEventKind, key: StaticString)
    case badValue(key: StaticString)
    case tooLong(limit: Int)

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }

    var description: String {
        switch self {
        case .notAnObject: return "not a JSON object"
        case let .badSyntax(offset): return "JSON syntax error at byte \(offset + 1)"
        case let .trailingText(offset): return "text after the JSON object at byte \(offset + 1)"
        case let .missingKey(event, key): return "\(event.rawValue) event without \"\(key)\""
        case let .badValue(key): return "\"\(key)\" has a value of the wrong type or range"
        case let .tooLong(limit): return "longer than \(limit >> 10) KiB"
        }
    }
}

enum WireEventLine: Equatable, Sendable {
    case blank
    case event(WireKernelEvent)
    case garbage(WireEventLineProblem)
}

/// A byte-level reader for one JSON Lines record of `sockdiag trace --json`: one pass, no
/// allocation, unknown keys and nested values skipped.
enum WireEventLineParser {
    static func parse(_ line: UnsafeRawBufferPointer) -> WireEventLine {
        var event = WireKernelEvent()
        switch parse(line, into: &event, wholeTotals: true) {
        case .blank: return .blank
        case .event, .totals: return .event(event)
        case let .garbage(problem): return .garbage(problem)
        }
    }

    enum Status: Sendable {
        case blank
        case event
        /// An egress totals record, read only up to its cookie.
        case totals(cookie: UInt64)
        case garbage(WireEventLineProblem)
    }

    /// The same, filling `event` in place (it must start empty): the reader's path, which copies
    /// no event around. Unless `wholeTotals`, an egress totals record (`"final":true`) is left
    /// after its cookie with `.totals`: the reader needs the rest only for a socket whose first
    /// record was lost, and then parses the line again.
    static func parse(_ line: UnsafeRawBufferPointer, into event: inout WireKernelEvent,
                             wholeTotals: Bool = false) -> Status {
        var memo = WireAddressMemo()
        return parse(line, into: &event, wholeTotals: wholeTotals, memo: &memo)
    }

    /// The same, with the addresses of the lines read before remembered in `memo`.
    static func parse(_ line: UnsafeRawBufferPointer, into event: inout WireKernelEvent,
                      wholeTotals: Bool = false, memo: inout WireAddressMemo) -> Status {
        if let status = WireEventLineLayout.parse(line, into: &event, wholeTotals: wholeTotals, memo: &memo) { return status }
        event = WireKernelEvent()
        return parse(line, into: &event, wholeTotals: wholeTotals, tracerLayout: false)
    }

    /// `tracerLayout: false` leaves out the straight-through reading of the tracer's own layout,
    /// for tests that check both readings agree.
    static func parse(_ line: UnsafeRawBufferPointer, into event: inout WireKernelEvent,
                      wholeTotals: Bool, tracerLayout: Bool) -> Status {
        if tracerLayout {
            var memo = WireAddressMemo()
            return parse(line, into: &event, wholeTotals: wholeTotals, memo: &memo)
        }
        var scanner = WireJSONScanner(bytes: line, at: 0)
        scanner.skipSpace()
        guard scanner.more else { return .blank }
        guard scanner.peek == UInt8(ascii: "{") else { return .garbage(.notAnObject) }
        scanner.at += 1
        var seen: UInt32 = 0
        scanner.skipSpace()
        if scanner.more && scanner.peek == UInt8(ascii: "}") {
            scanner.at += 1
        } else {
            while true {
                scanner.skipSpace()
                guard let key = scanner.string() else { return .garbage(.badSyntax(offset: scanner.at)) }
                scanner.skipSpace()
                guard scanner.more, scanner.peek == UInt8(ascii: ":") else { return .garbage(.badSyntax(offset: scanner.at)) }
                scanner.at += 1
                scanner.skipSpace()
                guard let value = scanner.value() else { return .garbage(.badSyntax(offset: scanner.at)) }
                if let problem = assign(key: key, value: value, in: line, to: &event, seen: &seen) { return .garbage(problem) }
                // Enum cases matched by pattern, not `==`, which would compare raw-value strings.
                let complete: Bool
                switch event.kind {
                case .egress:
                    if !wholeTotals && seen & Needed.finalEgress == Needed.finalEgress, let cookie = event.cookie {
                        return endsLikeAnObject(line) ? .totals(cookie: cookie) : .garbage(.badSyntax(offset: line.count))
                    }
                    complete = seen & Needed.egress == Needed.egress
                case .connect, .sendmsg:
                    complete = seen & Needed.socketCall == Needed.socketCall
                default:
                    complete = false
                }
                if complete {
                    // Everything the join uses is read; what follows (class, scope, lesson) is not.
                    guard endsLikeAnObject(line) else { return .garbage(.badSyntax(offset: line.count)) }
                    if let key = event.missingKey { return .garbage(.missingKey(event: event.kind, key: key)) }
                    return .event
                }
                scanner.skipSpace()
                guard scanner.more else { return .garbage(.badSyntax(offset: scanner.at)) }
                let separator = scanner.peek
                scanner.at += 1
                if separator == UInt8(ascii: "}") { break }
                guard separator == UInt8(ascii: ",") else { return .garbage(.badSyntax(offset: scanner.at - 1)) }
            }
        }
        scanner.skipSpace()
        guard !scanner.more else { return .garbage(.trailingText(offset: scanner.at)) }
        if let key = event.missingKey { return .garbage(.missingKey(event: event.kind, key: key)) }
        return .event
    }

    /// Bits of the keys read so far; when a line has all the join uses, the rest is skipped.
    private enum Needed {
        static let event: UInt32 = 1 << 0, hook: UInt32 = 1 << 1, time: UInt32 = 1 << 2, pid: UInt32 = 1 << 3
        static let comm: UInt32 = 1 << 4, cookie: UInt32 = 1 << 5, family: UInt32 = 1 << 6, transport: UInt32 = 1 << 7
        static let address: UInt32 = 1 << 8, port: UInt32 = 1 << 9, wire: UInt32 = 1 << 10, local: UInt32 = 1 << 11
        static let localPort: UInt32 = 1 << 12, remote: UInt32 = 1 << 13, remotePort: UInt32 = 1 << 14
        static let packets: UInt32 = 1 << 15, bytes: UInt32 = 1 << 16, finalTrue: UInt32 = 1 << 17
        static let socketCall = event | hook | time | pid | comm | cookie | family | transport | address | port
        static let egress = event | time | pid | comm | cookie | family | wire | transport | local | localPort
            | remote | remotePort | packets | bytes
        /// `"event":"egress","final":true`, the first two keys of a totals record.
        static let finalEgress = event | finalTrue
    }

    private static func endsLikeAnObject(_ line: UnsafeRawBufferPointer) -> Bool {
        var end = line.count
        while end > 0, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0D { end -= 1 }
        return end > 0 && line[end - 1] == UInt8(ascii: "}")
    }

    private static func assign(key: Range<Int>, value: WireJSONValue, in line: UnsafeRawBufferPointer,
                               to event: inout WireKernelEvent, seen: inout UInt32) -> WireEventLineProblem? {
        let k = UnsafeRawBufferPointer(rebasing: line[key])
        guard k.count >= 3 else { return nil }
        func text() -> UnsafeRawBufferPointer? {
            guard case let .string(range, escaped) = value, !escaped else { return nil }
            return UnsafeRawBufferPointer(rebasing: line[range])
        }
        func unsigned(_ name: StaticString, max: UInt64) -> (UInt64?, WireEventLineProblem?) {
            if case .null = value { return (nil, nil) }
            guard case let .unsigned(n) = value, n <= max else { return (nil, .badValue(key: name)) }
            return (n, nil)
        }
        func address(_ name: StaticString) -> (WireAddress?, WireEventLineProblem?) {
            if case .null = value { return (nil, nil) }
            guard let t = text(), let a = WireAddress.parse(t) else { return (nil, .badValue(key: name)) }
            return (a, nil)
        }
        switch (k.count, k[0]) {
        case (5, UInt8(ascii: "e")) where k.equals("event"):
            guard let t = text() else { return .badValue(key: "event") }
            if t.equals("connect") { event.kind = .connect }
            else if t.equals("sendmsg") { event.kind = .sendmsg }
            else if t.equals("egress") { event.kind = .egress }
            else if t.equals("bind") { event.kind = .bind }
            else if t.equals("outcome") { event.kind = .outcome }
            else if t.equals("summary") { event.kind = .summary }
            else if t.equals("socket") { event.kind = .socket }
            else { event.kind = .other }
            seen |= Needed.event
        case (4, UInt8(ascii: "h")) where k.equals("hook"):
            if let t = text() { event.hook = hook(t) }
            seen |= Needed.hook
        case (5, UInt8(ascii: "f")) where k.equals("final"):
            if case .bool(true) = value { seen |= Needed.finalTrue }
        case (7, UInt8(ascii: "t")) where k.equals("time_ns"):
            let (n, p) = unsigned("time_ns", max: .max); event.timeNs = n; seen |= Needed.time; return p
        case (3, UInt8(ascii: "p")) where k.equals("pid"):
            let (n, p) = unsigned("pid", max: UInt64(UInt32.max)); event.pid = n.map { UInt32($0) }; seen |= Needed.pid; return p
        case (4, UInt8(ascii: "c")) where k.equals("comm"):
            if case .null = value { seen |= Needed.comm; return nil }
            guard case let .string(range, escaped) = value else { return .badValue(key: "comm") }
            event.comm = unescapedComm(UnsafeRawBufferPointer(rebasing: line[range]), escaped: escaped)
            seen |= Needed.comm
        case (6, UInt8(ascii: "c")) where k.equals("cookie"):
            let (n, p) = unsigned("cookie", max: .max); event.cookie = n; seen |= Needed.cookie; return p
        case (13, UInt8(ascii: "s")) where k.equals("socket_family"):
            // An outcome of a socket the tracer never saw connect names no family.
            if case .null = value { seen |= Needed.family; return nil }
            guard let t = text() else { return .badValue(key: "socket_family") }
            if t.equals("inet") { event.socketFamily = .inet }
            else if t.equals("inet6") { event.socketFamily = .inet6 }
            else { return .badValue(key: "socket_family") }
            seen |= Needed.family
        case (8, UInt8(ascii: "p")) where k.equals("protocol"):
            if let t = text() { event.transport = t.equals("tcp") ? .tcp : t.equals("udp") ? .udp : nil }
            seen |= Needed.transport
        case (7, UInt8(ascii: "a")) where k.equals("address"):
            let (a, p) = address("address"); event.address = a; seen |= Needed.address; return p
        case (4, UInt8(ascii: "p")) where k.equals("port"):
            let (n, p) = unsigned("port", max: 65535); event.port = n.map { UInt16($0) }; seen |= Needed.port; return p
        case (13, UInt8(ascii: "w")) where k.equals("wire_protocol"):
            guard let t = text() else { return .badValue(key: "wire_protocol") }
            if t.equals("ipv4") { event.wireIsIPv6 = false }
            else if t.equals("ipv6") { event.wireIsIPv6 = true }
            else { return .badValue(key: "wire_protocol") }
            seen |= Needed.wire
        case (13, UInt8(ascii: "l")) where k.equals("local_address"):
            let (a, p) = address("local_address"); event.localAddress = a; seen |= Needed.local; return p
        case (10, UInt8(ascii: "l")) where k.equals("local_port"):
            let (n, p) = unsigned("local_port", max: 65535); event.localPort = n.map { UInt16($0) }; seen |= Needed.localPort; return p
        case (14, UInt8(ascii: "r")) where k.equals("remote_address"):
            let (a, p) = address("remote_address"); event.remoteAddress = a; seen |= Needed.remote; return p
        case (11, UInt8(ascii: "r")) where k.equals("remote_port"):
            let (n, p) = unsigned("remote_port", max: 65535); event.remotePort = n.map { UInt16($0) }; seen |= Needed.remotePort; return p
        case (7, UInt8(ascii: "p")) where k.equals("packets"):
            let (n, p) = unsigned("packets", max: .max); event.packets = n; seen |= Needed.packets; return p
        case (5, UInt8(ascii: "b")) where k.equals("bytes"):
            let (n, p) = unsigned("bytes", max: .max); event.bytes = n; seen |= Needed.bytes; return p
        case (7, UInt8(ascii: "o")) where k.equals("outcome"):
            guard let t = text(), let kind = TraceOutcomeKind(rawValue: String(decoding: t, as: UTF8.self)) else { return .badValue(key: "outcome") }
            event.outcome = kind
        case (10, UInt8(ascii: "e")) where k.equals("elapsed_ns"):
            let (n, p) = unsigned("elapsed_ns", max: .max); event.elapsedNs = n; return p
        case (5, UInt8(ascii: "e")) where k.equals("error"):
            if case .null = value { return nil }
            guard let t = text(), let errno = Errno(name: t) else { return .badValue(key: "error") }
            event.error = errno
        case (5, UInt8(ascii: "s")) where k.equals("state"):
            if let t = text() { event.listening = t.equals("LISTEN") }
        case (4, UInt8(ascii: "l")) where k.equals("lost"):
            let (n, p) = unsigned("lost", max: .max); event.lost = n; return p
        default:
            break
        }
        return nil
    }

    private static func hook(_ t: UnsafeRawBufferPointer) -> TraceHook? {
        if t.equals("connect4") { return .connect4 }
        if t.equals("connect6") { return .connect6 }
        if t.equals("sendmsg4") { return .sendmsg4 }
        if t.equals("sendmsg6") { return .sendmsg6 }
        if t.equals("post_bind4") { return .postBind4 }
        if t.equals("post_bind6") { return .postBind6 }
        return nil
    }

    private static func unescapedComm(_ text: UnsafeRawBufferPointer, escaped: Bool) -> WireComm {
        var comm = WireComm()
        unescape(text, escaped: escaped) { comm.append($0) }
        return comm
    }

    /// A JSON string's contents, escapes undone, byte by byte.
    private static func unescape(_ text: UnsafeRawBufferPointer, escaped: Bool, _ append: (UInt8) -> Void) {
        var i = 0
        while i < text.count {
            var byte = text[i]
            i += 1
            if escaped && byte == UInt8(ascii: "\\") && i < text.count {
                let code = text[i]
                i += 1
                switch code {
                case UInt8(ascii: "n"): byte = 0x0A
                case UInt8(ascii: "t"): byte = 0x09
                case UInt8(ascii: "r"): byte = 0x0D
                case UInt8(ascii: "b"): byte = 0x08
                case UInt8(ascii: "f"): byte = 0x0C
                case UInt8(ascii: "u"):
                    var scalar: UInt32 = 0
                    var digits = 0
                    while digits < 4 && i < text.count, let v = WireText.hexValue(text[i]) {
                        scalar = scalar << 4 | UInt32(v); i += 1; digits += 1
                    }
                    for unit in String(Unicode.Scalar(scalar) ?? "?").utf8 { append(unit) }
                    continue
                default: byte = code
                }
            }
            append(byte)
        }
    }

    /// The line's top-level `"cgroup"` path (trace writes it on every event that names a process),
    /// or nil when it is null or absent. Looked for from the end, where the tracer writes it: read
    /// once per process, not on every line. Inside a JSON string every quote is escaped, so the
    /// key's bytes cannot occur in a value.
    static func cgroupPath(in line: UnsafeRawBufferPointer) -> String? {
        let key: StaticString = #","cgroup":"#
        let n = key.utf8CodeUnitCount
        var at = line.count - n
        while at > 0 {
            if line[at] == UInt8(ascii: ",") && line[at + 1] == UInt8(ascii: "\"")
                && UnsafeRawBufferPointer(rebasing: line[at..<(at + n)]).equals(key) { break }
            at -= 1
        }
        guard at > 0 else { return nil }
        var scanner = WireJSONScanner(bytes: line, at: at + n)
        var escaped = false
        guard scanner.more, scanner.peek == UInt8(ascii: "\""), let range = scanner.string(escaped: &escaped) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count)
        unescape(UnsafeRawBufferPointer(rebasing: line[range]), escaped: escaped) { bytes.append($0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

