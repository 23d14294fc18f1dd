/// An IPv4 or IPv6 address as two fixed words, cheap to copy and hash in a per-packet path.
/// IPv4 sits in the low 32 bits of `low` with `high` zero.
///
/// Kept beside `IPAddress` for its layout: `IPAddress` is an enum whose IPv6 case carries a
/// `String?` zone, so it is 33 bytes (stride 40) and not trivially copyable (every copy retains
/// the zone), where this is 17 bytes (stride 24) of plain words with no zone (packets have none).
/// Measured with two addresses and two ports as a hash key, 280,000 updates of a 40,000-entry
/// table (the bench's mix), -O, a shared machine at load 8: 263-328 ms with this layout against
/// 306-461 ms with `IPAddress`. Text and classification are shared: `write(to:)` is
/// `IPv4Address`/`IPv6Address`'s, and `ipAddress` converts where a report needs the general type.
struct WireAddress: Hashable, Sendable, Comparable {
    var high: UInt64
    var low: UInt64
    var isIPv6: Bool

    init(high: UInt64, low: UInt64, isIPv6: Bool) {
        self.high = high
        self.low = low
        self.isIPv6 = isIPv6
    }

    init(_ v4: IPv4Address) { self.init(high: 0, low: UInt64(v4.value), isIPv6: false) }
    init(_ v6: IPv6Address) { self.init(high: v6.high, low: v6.low, isIPv6: true) }

    init(_ address: IPAddress) {
        switch address {
        case let .v4(a): self.init(a)
        case let .v6(a): self.init(a)
        }
    }

    var ipAddress: IPAddress {
        isIPv6 ? .v6(IPv6Address(high: high, low: low)) : .v4(IPv4Address(UInt32(truncatingIfNeeded: low)))
    }

    var isIPv4Mapped: Bool { isIPv6 && high == 0 && low >> 32 == 0xFFFF }

    /// `::ffff:a.b.c.d` becomes `a.b.c.d`, which is what an AF_INET6 socket puts on the wire.
    var unmapped: WireAddress {
        guard isIPv6, high == 0, low >> 32 == 0xFFFF else { return self }
        return WireAddress(high: 0, low: low & 0xFFFF_FFFF, isIPv6: false)
    }

    static func < (lhs: WireAddress, rhs: WireAddress) -> Bool {
        (lhs.isIPv6 ? 1 : 0, lhs.high, lhs.low) < (rhs.isIPv6 ? 1 : 0, rhs.high, rhs.low)
    }
}

extension WireAddress: CustomStringConvertible {
    var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(46)
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the address as text (RFC 5952 for IPv6) without building intermediate strings:
    /// reports of tens of thousands of flows stay fast.
    @inline(__always)
    func write<Sink: ByteSink>(to out: inout Sink) {
        if isIPv6 {
            IPv6Address.write(high: high, low: low, to: &out)
        } else {
            IPv4Address(UInt32(truncatingIfNeeded: low)).write(to: &out)
        }
    }

    /// `a.b.c.d:port` or `[v6]:port`.
    func write(port: UInt16, to out: inout [UInt8]) {
        if isIPv6 { out.append(0x5B) }
        write(to: &out)
        if isIPv6 { out.append(0x5D) }
        out.append(0x3A)
        WireText.decimal(UInt64(port), to: &out)
    }
}

extension WireAddress {
    /// Parses address text straight from bytes (dotted quad, or IPv6 with `::`, an embedded IPv4
    /// tail and an optional `%zone`, which is dropped). nil when the text is not an address.
    static func parse(_ text: UnsafeRawBufferPointer) -> WireAddress? {
        var hasColon = false
        for byte in text where byte == 0x3A { hasColon = true; break }
        if !hasColon {
            guard let v4 = parseIPv4(text, from: 0, to: text.count) else { return nil }
            return WireAddress(high: 0, low: UInt64(v4), isIPv6: false)
        }
        return parseIPv6(text)
    }

    static func parseIPv4(_ text: UnsafeRawBufferPointer, from start: Int, to end: Int) -> UInt32? {
        var value: UInt32 = 0, current: UInt32 = 0, digits = 0, octets = 0
        var i = start
        while i < end {
            let byte = text[i]
            if byte >= 0x30 && byte <= 0x39 {
                if digits > 0 && current == 0 { return nil }
                current = current * 10 + UInt32(byte - 0x30)
                digits += 1
                if current > 255 { return nil }
            } else if byte == 0x2E {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | current
                octets += 1; current = 0; digits = 0
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | current
    }

    static func parseIPv6(_ text: UnsafeRawBufferPointer) -> WireAddress? {
        // `::ffff:a.b.c.d`, a dual-stack socket's IPv4 peer: in some logs every address.
        if text.count > 7, text.loadUnaligned(as: UInt32.self) == UInt32(littleEndian: 0x6666_3A3A),  // "::ff"
           text.loadUnaligned(fromByteOffset: 3, as: UInt32.self) == UInt32(littleEndian: 0x3A66_6666),  // "fff:"
           let v4 = parseIPv4(text, from: 7, to: text.count) {
            return WireAddress(high: 0, low: 0xFFFF_0000_0000 | UInt64(v4), isIPv6: true)
        }
        var end = text.count
        for i in 0..<text.count where text[i] == 0x25 { end = i; break }  // %zone
        guard end >= 2 else { return nil }
        var groups = SIMD8<UInt16>(repeating: 0)
        var count = 0
        var gap = -1
        var i = 0
        if text[0] == 0x3A {
            guard text[1] == 0x3A else { return nil }
            gap = 0; i = 2
        }
        while i < end {
            var j = i, value: UInt32 = 0
            while j < end, let digit = WireText.hexValue(text[j]) {
                value = value << 4 | UInt32(digit)
                j += 1
                if j - i > 4 { break }
            }
            if j < end && text[j] == 0x2E {
                guard count <= 6, let v4 = parseIPv4(text, from: i, to: end) else { return nil }
                groups[count] = UInt16(v4 >> 16); groups[count + 1] = UInt16(truncatingIfNeeded: v4)
                count += 2
                i = end
                break
            }
            guard j > i, j - i <= 4, count < 8 else { return nil }
            groups[count] = UInt16(value); count += 1
            if j == end { i = j; break }
            guard text[j] == 0x3A else { return nil }
            if j + 1 < end && text[j + 1] == 0x3A {
                guard gap < 0 else { return nil }
                gap = count
                i = j + 2
            } else {
                guard j + 1 < end else { return nil }
                i = j + 1
            }
        }
        if gap >= 0 {
            guard count < 8 else { return nil }
            let shift = 8 - count
            var k = count - 1
            while k >= gap { groups[k + shift] = groups[k]; groups[k] = 0; k -= 1 }
        } else if count != 8 {
            return nil
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for k in 0..<4 { high = high << 16 | UInt64(groups[k]) }
        for k in 4..<8 { low = low << 16 | UInt64(groups[k]) }
        return WireAddress(high: high, low: low, isIPv6: true)
    }
}

/// Number and hex text appended to byte buffers.
enum WireText {
    static func decimal<Sink: ByteSink>(_ value: UInt64, to out: inout Sink) {
        if value < 10 { out.append(0x30 &+ UInt8(truncatingIfNeeded: value)); return }
        // Digits go into a tuple on the stack, last first, then out in one copy.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { raw in
            let buffer = raw.bindMemory(to: UInt8.self)
            // Four digits per division, then two and one by multiplying: nineteen-digit
            // timestamps are in every flow of a report.
            @inline(__always) func pair(_ x: UInt64, at index: Int) {
                let tens = (x &* 103) >> 10  // x / 10 for x < 100
                buffer[index] = 0x30 &+ UInt8(truncatingIfNeeded: tens)
                buffer[index &+ 1] = 0x30 &+ UInt8(truncatingIfNeeded: x &- tens &* 10)
            }
            var v = value, i = 20
            while v >= 10_000 {
                let (quotient, remainder) = v.quotientAndRemainder(dividingBy: 10_000)
                let high = (remainder &* 5_243) >> 19  // remainder / 100 for remainder < 10,000
                i &-= 4
                pair(high, at: i)
                pair(remainder &- high &* 100, at: i &+ 2)
                v = quotient
            }
            if v >= 100 {
                let high = (v &* 5_243) >> 19
                i &-= 2
                pair(v &- high &* 100, at: i)
                v = high
            }
            if v >= 10 {
                i &-= 2
                pair(v, at: i)
            } else {
                i &-= 1
                buffer[i] = 0x30 &+ UInt8(truncatingIfNeeded: v)
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<20]))
        }
    }

    static func signed(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(0x2D); decimal(value.magnitude, to: &out) } else { decimal(UInt64(value), to: &out) }
    }

    static func hex<Sink: ByteSink>(_ value: UInt16, to out: inout Sink) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let nibble = UInt8((value >> UInt16(shift)) & 0xF)
            if nibble == 0 && !started && shift != 0 { continue }
            started = true
            out.append(nibble < 10 ? 0x30 + nibble : 0x57 + nibble)
        }
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x57
        case 0x41...0x46: return byte - 0x37
        default: return nil
        }
    }

    static func append(_ text: String, to out: inout [UInt8]) { out.append(contentsOf: text.utf8) }

    /// Fixed text, copied without going through `String`.
    @inline(__always)
    static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
