/// The tracer writes connect and egress records with their keys always in the same order
/// (`TraceEventKey.connectOrder`, `.egressOrder`, spelled by `TraceEventKey`). A line
/// laid out exactly so is read straight through, literal by literal, without tokenizing keys; any
/// difference (another order, escapes, a fraction, an address that does not parse) returns nil and
/// the general parser reads the line, so both always agree.
enum WireEventLineLayout {
    /// Fills `event` (which must start empty) in place; after nil it holds a partial reading.
    static func parse(_ line: UnsafeRawBufferPointer, into event: inout WireKernelEvent,
                      wholeTotals: Bool) -> WireEventLineParser.Status? {
        var memo = WireAddressMemo()
        return parse(line, into: &event, wholeTotals: wholeTotals, memo: &memo)
    }

    /// The same, with the addresses of the lines read before remembered in `memo`.
    static func parse(_ line: UnsafeRawBufferPointer, into event: inout WireKernelEvent,
                      wholeTotals: Bool, memo: inout WireAddressMemo) -> WireEventLineParser.Status? {
        var reached = 0
        return parse(line, end: .known(line), into: &event, wholeTotals: wholeTotals, memo: &memo, reached: &reached)
    }

    /// The reading of a line whose end is not found yet: `text` starts at the line's start and
    /// runs past its end. No token this reading accepts holds a newline, so it stops at or before
    /// the line's end (`reached`, where the end is then looked for, saving the scan of what was
    /// read) and says what it says of the line alone, but for its last check, which needs the end:
    /// a status is the line's only if the line `endsLikeAnObject`, and the general parser's
    /// otherwise.
    static func parse(openEnded text: UnsafeRawBufferPointer, into event: inout WireKernelEvent,
                      wholeTotals: Bool, memo: inout WireAddressMemo, reached: inout Int) -> WireEventLineParser.Status? {
        parse(text, end: .open, into: &event, wholeTotals: wholeTotals, memo: &memo, reached: &reached)
    }

    /// Where the line ends, when that is known.
    private enum LineEnd {
        case known(UnsafeRawBufferPointer)
        /// The caller checks the end.
        case open

        var endsLikeAnObject: Bool {
            if case let .known(line) = self { return line.endsLikeAnObject }
            return true
        }
    }

    private static func parse(_ text: UnsafeRawBufferPointer, end: LineEnd, into event: inout WireKernelEvent, wholeTotals: Bool,
                              memo: inout WireAddressMemo, reached: inout Int) -> WireEventLineParser.Status? {
        var cursor = Cursor(bytes: text)
        defer { reached = cursor.at }
        // Lines name their schema first since version 1 of it; older logs start with the event.
        if !cursor.literal(TraceOutputBuffer.schemaPrefix) && !cursor.literal("{") { return nil }
        guard cursor.key(.event) else { return nil }
        if cursor.literal(#""egress""#), cursor.key(.final) { return egress(&cursor, end, &event, wholeTotals: wholeTotals, &memo) }
        if cursor.literal(#""connect""#), cursor.key(.hook) { return connect(&cursor, end, &event, &memo) }
        if cursor.literal(#""outcome""#), cursor.key(.outcome) { return outcome(&cursor, end, &event, &memo) }
        return nil
    }

    /// An outcome line up to its `error`; what follows (ICMP text, reset side, race group) the join
    /// does not use.
    private static func outcome(_ c: inout Cursor, _ line: LineEnd,
                                _ e: inout WireKernelEvent, _ memo: inout WireAddressMemo) -> WireEventLineParser.Status? {
        e.kind = .outcome
        var pid: UInt64?, ignored: UInt64?
        guard c.literal("\""), let kind = c.string().flatMap(outcomeKind),
              c.key(.timeNs), c.optionalNumber(&e.timeNs),
              c.key(.cookie), let cookie = c.number(),
              c.key(.pid), c.optionalNumber(&pid), pid ?? 0 <= UInt64(UInt32.max),
              c.key(.comm), c.comm(&e.comm),
              c.key(.socketFamily), c.optionalFamily(&e.socketFamily),
              c.key(.protocol), c.literal("\""), let transport = c.string(),
              c.key(.address), c.optionalAddress(&e.address, &memo),
              c.key(.port), c.optionalPort(&e.port),
              c.key(.localAddress), c.optionalAddress(&e.localAddress, &memo),
              c.key(.localPort), c.optionalPort(&e.localPort),
              c.key(.elapsedNs), c.optionalNumber(&e.elapsedNs),
              c.key(.synRetransmits), c.optionalNumber(&ignored),
              c.key(.rttMicroseconds), c.optionalNumber(&ignored),
              c.key(.bytesSent), c.optionalNumber(&ignored),
              c.key(.bytesReceived), c.optionalNumber(&ignored),
              c.key(.error), c.optionalErrno(&e.error),
              line.endsLikeAnObject else { return nil }
        e.outcome = kind
        e.cookie = cookie
        e.transport = transport.equals("tcp") ? .tcp : transport.equals("udp") ? .udp : nil
        e.pid = pid.map { UInt32($0) }
        return .event
    }

    private static func outcomeKind(_ text: UnsafeRawBufferPointer) -> TraceOutcomeKind? {
        // Spelled as TraceOutcomeKind's raw values; a test reads every kind both ways.
        if text.equals("established") { return .established }
        if text.equals("closed") { return .closed }
        if text.equals("refused") { return .refused }
        if text.equals("reset") { return .reset }
        if text.equals("aborted") { return .aborted }
        if text.equals("unreachable") { return .unreachable }
        if text.equals("timed-out") { return .timedOut }
        if text.equals("failed") { return .failed }
        return nil
    }

    private static func egress(_ c: inout Cursor, _ line: LineEnd, _ e: inout WireKernelEvent,
                               wholeTotals: Bool, _ memo: inout WireAddressMemo) -> WireEventLineParser.Status? {
        e.kind = .egress
        let final: Bool
        if c.literal("false") { final = false } else if c.literal("true") { final = true } else { return nil }
        guard c.key(.timeNs), c.optionalNumber(&e.timeNs),
              c.key(.cookie), let cookie = c.number() else { return nil }
        e.cookie = cookie
        if final && !wholeTotals {
            return line.endsLikeAnObject ? .totals(cookie: cookie) : nil
        }
        var pid: UInt64?
        guard c.key(.pid), c.optionalNumber(&pid), pid ?? 0 <= UInt64(UInt32.max),
              c.key(.comm), c.comm(&e.comm),
              c.key(.socketFamily), c.literal("\""), let family = c.string(),
              c.key(.wireProtocol), c.literal("\""), let wire = c.string(),
              c.key(.protocol), c.literal("\""), let transport = c.string(),
              c.key(.localAddress), c.literal("\""), let local = c.address(&memo),
              c.key(.localPort), let localPort = c.port(),
              c.key(.remoteAddress), c.literal("\""), let remote = c.address(&memo),
              c.key(.remotePort), let remotePort = c.port(),
              c.key(.packets), c.optionalNumber(&e.packets),
              c.key(.bytes), c.optionalNumber(&e.bytes), c.endsValue,
              line.endsLikeAnObject else { return nil }
        if family.equals("inet") { e.socketFamily = .inet } else if family.equals("inet6") { e.socketFamily = .inet6 } else { return nil }
        if wire.equals("ipv4") { e.wireIsIPv6 = false } else if wire.equals("ipv6") { e.wireIsIPv6 = true } else { return nil }
        e.transport = transport.equals("tcp") ? .tcp : transport.equals("udp") ? .udp : nil
        e.pid = pid.map { UInt32($0) }
        e.localAddress = local
        e.localPort = localPort
        e.remoteAddress = remote
        e.remotePort = remotePort
        return .event
    }

    private static func connect(_ c: inout Cursor, _ line: LineEnd,
                                _ e: inout WireKernelEvent, _ memo: inout WireAddressMemo) -> WireEventLineParser.Status? {
        e.kind = .connect
        var pid: UInt64?, ignored: UInt64?
        guard c.literal("\""), let hook = c.string(),
              c.key(.timeNs), c.optionalNumber(&e.timeNs),
              c.key(.pid), c.optionalNumber(&pid), pid ?? 0 <= UInt64(UInt32.max),
              c.key(.tid), c.optionalNumber(&ignored),
              c.key(.comm), c.comm(&e.comm),
              c.key(.uid), c.optionalNumber(&ignored),
              c.key(.cgroupID), c.optionalNumber(&ignored),
              c.key(.cookie), let cookie = c.number(),
              c.key(.socketFamily), c.literal("\""), let family = c.string(),
              c.key(.protocol), c.literal("\""), let transport = c.string(),
              c.key(.address), c.literal("\""), let address = c.address(&memo),
              c.key(.port), let port = c.port(), c.endsValue,
              line.endsLikeAnObject else { return nil }
        if hook.equals("connect4") { e.hook = .connect4 } else if hook.equals("connect6") { e.hook = .connect6 } else { return nil }
        if family.equals("inet") { e.socketFamily = .inet } else if family.equals("inet6") { e.socketFamily = .inet6 } else { return nil }
        e.transport = transport.equals("tcp") ? .tcp : transport.equals("udp") ? .udp : nil
        e.pid = pid.map { UInt32($0) }
        e.cookie = cookie
        e.address = address
        e.port = port
        return .event
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// The key's `fragment`, as the tracer writes it before the value.
        @inline(__always)
        mutating func key(_ key: TraceEventKey) -> Bool { literal(key.fragment) }

        @inline(__always)
        mutating func literal(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            guard bytes.count &- at >= n else { return false }
            let here = bytes.baseAddress! + at, expected = UnsafeRawPointer(text.utf8Start)
            var i = 0
            while i &+ 8 <= n {
                guard here.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        == expected.loadUnaligned(fromByteOffset: i, as: UInt64.self) else { return false }
                i &+= 8
            }
            while i < n {
                guard here.load(fromByteOffset: i, as: UInt8.self) == expected.load(fromByteOffset: i, as: UInt8.self) else { return false }
                i &+= 1
            }
            at &+= n
            return true
        }

        /// Up to 19 digits, then a comma or the closing brace: no fraction, no overflow.
        @inline(__always)
        mutating func number() -> UInt64? {
            let start = at
            var n: UInt64 = 0
            // A word at a time while a word remains: timestamps have nineteen digits, and the
            // shorter numbers (cookies, ports, pids) end inside one word.
            while bytes.count &- at >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                let digits = Cursor.leadingDigits(word)
                if digits == 8 {
                    n = n &* 100_000_000 &+ Cursor.digitsValue(word)
                    at &+= 8
                    continue
                }
                if digits > 0 {
                    // The digits moved to the word's end behind '0's: eight digits of the same value.
                    let shift = UInt64(8 &- digits) &* 8
                    let padded = word << shift | 0x3030_3030_3030_3030 >> (64 &- shift)
                    n = n &* Cursor.powerOfTen(digits) &+ Cursor.digitsValue(padded)
                    at &+= digits
                }
                break
            }
            while at < bytes.count {
                let digit = bytes[at] &- 0x30
                guard digit <= 9 else { break }
                n = n &* 10 &+ UInt64(digit)
                at &+= 1
            }
            guard at > start, at &- start <= 19, endsValue else { return nil }
            return n
        }

        /// How many bytes of a little-endian word (the first in the low byte) are ASCII digits
        /// before the first that is not.
        @inline(__always)
        static func leadingDigits(_ word: UInt64) -> Int {
            // A byte's high bit is set where the byte minus '0' is above 9: below 0x80, adding
            // 0x76 sets it without a carry into the next byte; from 0x80, it is set already.
            let x = word ^ 0x3030_3030_3030_3030
            let notDigits = (((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080
            return notDigits.trailingZeroBitCount >> 3
        }

        @inline(__always)
        static func powerOfTen(_ exponent: Int) -> UInt64 {
            var p: UInt64 = 1
            for _ in 0..<exponent { p &*= 10 }
            return p
        }

        /// The value of a word of eight ASCII digits, the first in the low byte.
        @inline(__always)
        static func digitsValue(_ word: UInt64) -> UInt64 {
            var v = word &- 0x3030_3030_3030_3030
            // Pairs of digits, then quadruples, then all eight, each step one multiply.
            v = (v &* 10) &+ (v >> 8)
            v = ((v & 0x00FF_00FF_00FF_00FF) &* (100 << 16 | 1)) >> 16
            v = ((v & 0x0000_FFFF_0000_FFFF) &* (10_000 << 32 | 1)) >> 32
            return v
        }

        @inline(__always)
        mutating func optionalNumber(_ value: inout UInt64?) -> Bool {
            if at < bytes.count && bytes[at] == UInt8(ascii: "n") {
                guard literal("null") else { return false }
                value = nil
                return endsValue
            }
            guard let n = number() else { return false }
            value = n
            return true
        }

        var endsValue: Bool {
            at < bytes.count && (bytes[at] == UInt8(ascii: ",") || bytes[at] == UInt8(ascii: "}"))
        }

        /// A string's contents up to its closing quote (the opening one already read), then the
        /// quote; nil at a backslash or control byte.
        @inline(__always)
        mutating func string() -> UnsafeRawBufferPointer? {
            let start = at
            while at < bytes.count {
                let b = bytes[at]
                if b == UInt8(ascii: "\"") {
                    at &+= 1
                    return UnsafeRawBufferPointer(rebasing: bytes[start..<(at &- 1)])
                }
                if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
                at &+= 1
            }
            return nil
        }

        mutating func comm(_ comm: inout WireComm) -> Bool {
            if literal("null") { return endsValue }
            guard literal("\""), let text = string(), endsValue else { return false }
            if comm.isEmpty { comm = WireComm(text) } else { for byte in text { comm.append(byte) } }
            return true
        }

        /// An address's text up to its closing quote (the opening one already read), parsed, or
        /// found among the texts read before.
        mutating func address(_ memo: inout WireAddressMemo) -> WireAddress? {
            if let known = memo.find(in: bytes, at: at) {
                at &+= known.count &+ 1
                return endsValue ? known.address : nil
            }
            guard let text = string(), endsValue, let address = WireAddress.parse(text) else { return nil }
            memo.remember(text, as: address)
            return address
        }

        mutating func optionalAddress(_ value: inout WireAddress?, _ memo: inout WireAddressMemo) -> Bool {
            if literal("null") { value = nil; return endsValue }
            guard literal("\""), let address = address(&memo) else { return false }
            value = address
            return true
        }

        mutating func optionalPort(_ value: inout UInt16?) -> Bool {
            if literal("null") { value = nil; return endsValue }
            guard let port = port() else { return false }
            value = port
            return true
        }

        mutating func optionalFamily(_ value: inout AddressFamily?) -> Bool {
            if literal("null") { value = nil; return endsValue }
            guard literal("\""), let text = string(), endsValue else { return false }
            if text.equals("inet") { value = .inet } else if text.equals("inet6") { value = .inet6 } else { return false }
            return true
        }

        /// A failed connect's or a reset's: the name is looked up as the general parser does.
        mutating func optionalErrno(_ value: inout Errno?) -> Bool {
            if literal("null") { value = nil; return endsValue }
            guard literal("\""), let text = string(), endsValue,
                  let errno = Errno(name: text) else { return false }
            value = errno
            return true
        }

        mutating func port() -> UInt16? {
            guard let n = number(), n <= 65535 else { return nil }
            return UInt16(n)
        }
    }
}

extension UnsafeRawBufferPointer {
    /// The last byte before trailing blanks is `}`.
    var endsLikeAnObject: Bool {
        var end = count
        while end > 0, self[end - 1] == 0x20 || self[end - 1] == 0x09 || self[end - 1] == 0x0D { end -= 1 }
        return end > 0 && self[end - 1] == UInt8(ascii: "}")
    }
}
