/// Address text written straight into bytes: every printed address (the `description`s, trace's
/// lines, compare-wire's rows) goes through here, so the text is made one way.
extension IPv4Address {
    /// Dotted quad.
    @inline(__always)
    public func write<Sink: ByteSink>(to out: inout Sink) {
        WireText.decimal(UInt64(value >> 24), to: &out); out.append(0x2E)
        WireText.decimal(UInt64((value >> 16) & 0xFF), to: &out); out.append(0x2E)
        WireText.decimal(UInt64((value >> 8) & 0xFF), to: &out); out.append(0x2E)
        WireText.decimal(UInt64(value & 0xFF), to: &out)
    }
}

extension IPv6Address {
    /// RFC 5952 text, then `%zone` when there is one.
    public func write<Sink: ByteSink>(to out: inout Sink) {
        IPv6Address.write(high: high, low: low, to: &out)
        if let zone {
            out.append(0x25)
            out.appendUTF8(zone)
        }
    }

    /// RFC 5952 text of 128 bits, as glibc's `inet_ntop` writes it: lower case, no leading zeros,
    /// the longest run of two or more zero groups (the first of equal runs) as `::`, and the
    /// trailing IPv4 in dotted form for IPv4-mapped (`::ffff:1.2.3.4`) and IPv4-compatible
    /// (`::1.2.3.4`) addresses.
    static func write<Sink: ByteSink>(high: UInt64, low: UInt64, to out: inout Sink) {
        @inline(__always) func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i & 3)))
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        let embedsIPv4 = bestStart == 0 && (bestLength == 6 || (bestLength == 5 && group(5) == 0xFFFF))
        var i = 0
        while i < 8 {
            if i == bestStart {
                out.append(0x3A)
                if i == 0 { out.append(0x3A) }
                i += bestLength
                continue
            }
            if embedsIPv4 && i == 6 {
                IPv4Address(UInt32(truncatingIfNeeded: low)).write(to: &out)
                return
            }
            WireText.hex(group(i), to: &out)
            if i < 7 { out.append(0x3A) }
            i += 1
        }
    }
}

extension IPAddress {
    /// The address's text, with its `%zone` when it has one.
    public func write<Sink: ByteSink>(to out: inout Sink) {
        switch self {
        case let .v4(v4): v4.write(to: &out)
        case let .v6(v6): v6.write(to: &out)
        }
    }
}

extension ByteSink {
    /// A string's UTF-8, in one copy where it is contiguous.
    @inline(__always)
    mutating func appendUTF8(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if copied == nil { for byte in text.utf8 { append(byte) } }
    }
}
