/// Why a line of the event log was not an event.
public enum WireEventLineProblem: Equatable, Sendable, CustomStringConvertible {
    case notAnObject
    case badSyntax(offset: Int)
    case trailingText(offset: Int)
    case missingKey(event: WireKernelEventKind, key: StaticString)
    case badValue(key: StaticString)

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }

    public var description: String {
        switch self {
        case .notAnObject: return "not a JSON object"
        case let .badSyntax(offset): return "JSON syntax error at byte \(offset + 1)"
        case let .trailingText(offset): return "text after the JSON object at byte \(offset + 1)"
        case let .missingKey(event, key): return "\(event.rawValue) event without \"\(key)\""
        case let .badValue(key): return "\"\(key)\" has a value of the wrong type or range"
        }
    }
}

public enum WireEventLine: Equatable, Sendable {
    case blank
    case event(WireKernelEvent)
    case garbage(WireEventLineProblem)
}

/// A byte-level reader for one JSON Lines record of `sockdiag trace --json`: one pass, no
/// allocation, unknown keys and nested values skipped.
public enum WireEventLineParser {
    public static func parse(_ line: UnsafeRawBufferPointer) -> WireEventLine {
        var scanner = Scanner(bytes: line, at: 0)
        scanner.skipSpace()
        guard scanner.more else { return .blank }
        guard scanner.peek == UInt8(ascii: "{") else { return .garbage(.notAnObject) }
        scanner.at += 1
        var event = WireKernelEvent()
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
                if let problem = assign(key: key, value: value, in: line, to: &event) { return .garbage(problem) }
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
        return .event(event)
    }

    private static func assign(key: Range<Int>, value: Value, in line: UnsafeRawBufferPointer,
                               to event: inout WireKernelEvent) -> WireEventLineProblem? {
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
            else if t.equals("summary") { event.kind = .summary }
            else { event.kind = .other }
        case (4, UInt8(ascii: "h")) where k.equals("hook"):
            if let t = text() {
                for hook in WireHook.allCases where t.equals(hook.rawValue) { event.hook = hook }
            }
        case (7, UInt8(ascii: "t")) where k.equals("time_ns"):
            let (n, p) = unsigned("time_ns", max: .max); event.timeNanoseconds = n; return p
        case (3, UInt8(ascii: "p")) where k.equals("pid"):
            let (n, p) = unsigned("pid", max: UInt64(UInt32.max)); event.pid = n.map { UInt32($0) }; return p
        case (4, UInt8(ascii: "c")) where k.equals("comm"):
            if case .null = value { return nil }
            guard case let .string(range, escaped) = value else { return .badValue(key: "comm") }
            event.comm = unescapedComm(UnsafeRawBufferPointer(rebasing: line[range]), escaped: escaped)
        case (6, UInt8(ascii: "c")) where k.equals("cookie"):
            let (n, p) = unsigned("cookie", max: .max); event.cookie = n; return p
        case (13, UInt8(ascii: "s")) where k.equals("socket_family"):
            guard let t = text() else { return .badValue(key: "socket_family") }
            if t.equals("inet") { event.socketFamily = .inet }
            else if t.equals("inet6") { event.socketFamily = .inet6 }
            else { return .badValue(key: "socket_family") }
        case (8, UInt8(ascii: "p")) where k.equals("protocol"):
            if let t = text() { event.transport = t.equals("tcp") ? .tcp : t.equals("udp") ? .udp : nil }
        case (7, UInt8(ascii: "a")) where k.equals("address"):
            let (a, p) = address("address"); event.address = a; return p
        case (4, UInt8(ascii: "p")) where k.equals("port"):
            let (n, p) = unsigned("port", max: 65535); event.port = n.map { UInt16($0) }; return p
        case (13, UInt8(ascii: "w")) where k.equals("wire_protocol"):
            guard let t = text() else { return .badValue(key: "wire_protocol") }
            if t.equals("ipv4") { event.wireIsIPv6 = false }
            else if t.equals("ipv6") { event.wireIsIPv6 = true }
            else { return .badValue(key: "wire_protocol") }
        case (13, UInt8(ascii: "l")) where k.equals("local_address"):
            let (a, p) = address("local_address"); event.localAddress = a; return p
        case (10, UInt8(ascii: "l")) where k.equals("local_port"):
            let (n, p) = unsigned("local_port", max: 65535); event.localPort = n.map { UInt16($0) }; return p
        case (14, UInt8(ascii: "r")) where k.equals("remote_address"):
            let (a, p) = address("remote_address"); event.remoteAddress = a; return p
        case (11, UInt8(ascii: "r")) where k.equals("remote_port"):
            let (n, p) = unsigned("remote_port", max: 65535); event.remotePort = n.map { UInt16($0) }; return p
        case (7, UInt8(ascii: "p")) where k.equals("packets"):
            let (n, p) = unsigned("packets", max: .max); event.packets = n; return p
        case (5, UInt8(ascii: "b")) where k.equals("bytes"):
            let (n, p) = unsigned("bytes", max: .max); event.bytes = n; return p
        case (4, UInt8(ascii: "l")) where k.equals("lost"):
            let (n, p) = unsigned("lost", max: .max); event.lost = n; return p
        default:
            break
        }
        return nil
    }

    private static func unescapedComm(_ text: UnsafeRawBufferPointer, escaped: Bool) -> WireComm {
        var comm = WireComm()
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
                    for unit in String(Unicode.Scalar(scalar) ?? "?").utf8 { comm.append(unit) }
                    continue
                default: byte = code
                }
            }
            comm.append(byte)
        }
        return comm
    }
}

private enum Value {
    case string(Range<Int>, escaped: Bool)
    case unsigned(UInt64)
    case otherNumber
    case bool
    case null
    case nested
}

private struct Scanner {
    let bytes: UnsafeRawBufferPointer
    var at: Int

    var more: Bool { at < bytes.count }
    var peek: UInt8 { bytes[at] }

    mutating func skipSpace() {
        while at < bytes.count {
            let b = bytes[at]
            guard b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A else { return }
            at += 1
        }
    }

    /// The contents of a string starting at the opening quote.
    mutating func string() -> Range<Int>? {
        guard more, peek == UInt8(ascii: "\"") else { return nil }
        var escaped = false
        return string(escaped: &escaped)
    }

    mutating func string(escaped: inout Bool) -> Range<Int>? {
        at += 1
        let start = at
        while at < bytes.count {
            let b = bytes[at]
            if b == UInt8(ascii: "\"") {
                at += 1
                return start..<(at - 1)
            }
            if b == UInt8(ascii: "\\") { escaped = true; at += 2; continue }
            if b < 0x20 { return nil }
            at += 1
        }
        return nil
    }

    mutating func value() -> Value? {
        guard more else { return nil }
        switch peek {
        case UInt8(ascii: "\""):
            var escaped = false
            guard let range = string(escaped: &escaped) else { return nil }
            return .string(range, escaped: escaped)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            var n: UInt64 = 0
            var overflow = false
            while more, peek >= 0x30, peek <= 0x39 {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(peek - 0x30))
                overflow = overflow || o1 || o2
                n = s
                at += 1
            }
            if skipFraction() { return .otherNumber }
            return overflow ? .otherNumber : .unsigned(n)
        case UInt8(ascii: "-"):
            at += 1
            guard more, peek >= 0x30, peek <= 0x39 else { return nil }
            while more, peek >= 0x30, peek <= 0x39 { at += 1 }
            _ = skipFraction()
            return .otherNumber
        case UInt8(ascii: "t"): return literal("true") ? .bool : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        case UInt8(ascii: "{"), UInt8(ascii: "["): return skipNested() ? .nested : nil
        default: return nil
        }
    }

    private mutating func skipFraction() -> Bool {
        var any = false
        while more {
            switch peek {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
                 UInt8(ascii: "+"), UInt8(ascii: "-"):
                any = true
                at += 1
            default:
                return any
            }
        }
        return any
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard at + n <= bytes.count else { return false }
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: n)
        for i in 0..<n where bytes[at + i] != w[i] { return false }
        at += n
        return true
    }

    /// Skips a nested object or array, strings inside included; depth is a counter, not recursion.
    private mutating func skipNested() -> Bool {
        var depth = 0
        while at < bytes.count {
            switch bytes[at] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1; at += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1; at += 1
                if depth == 0 { return true }
            case UInt8(ascii: "\""):
                var escaped = false
                guard string(escaped: &escaped) != nil else { return false }
            default:
                at += 1
            }
        }
        return false
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func equals(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard count == n else { return false }
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: n)
        for i in 0..<n where self[i] != w[i] { return false }
        return true
    }

    @inline(__always)
    func equals(_ word: String) -> Bool {
        var i = 0
        for byte in word.utf8 {
            guard i < count, self[i] == byte else { return false }
            i += 1
        }
        return i == count
    }
}
