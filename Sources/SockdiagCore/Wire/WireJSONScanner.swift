/// A JSON value as the line parser needs it: where a string is, an unsigned integer, or just its kind.
enum WireJSONValue {
    case string(Range<Int>, escaped: Bool)
    case unsigned(UInt64)
    case otherNumber
    case bool(Bool)
    case null
    case nested
}

/// A cursor over one line's bytes that steps over JSON tokens.
struct WireJSONScanner {
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
        // Eight bytes at a time up to the first quote, backslash or control byte.
        while at + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            let quote = word ^ 0x2222_2222_2222_2222, backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
            let special = ((quote &- 0x0101_0101_0101_0101) & ~quote)
                | ((backslash &- 0x0101_0101_0101_0101) & ~backslash)
                | ((word &- 0x2020_2020_2020_2020) & ~word)
            if special & 0x8080_8080_8080_8080 != 0 { break }
            at += 8
        }
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

    mutating func value() -> WireJSONValue? {
        guard more else { return nil }
        switch peek {
        case UInt8(ascii: "\""):
            var escaped = false
            guard let range = string(escaped: &escaped) else { return nil }
            return .string(range, escaped: escaped)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            // Up to 19 digits cannot overflow; only longer numbers take the checked path.
            let start = at
            var n: UInt64 = 0
            while at < bytes.count {
                let digit = bytes[at] &- 0x30
                guard digit <= 9 else { break }
                n = n &* 10 &+ UInt64(digit)
                at += 1
            }
            if skipFraction() { return .otherNumber }
            if at - start > 19 {
                var checked: UInt64 = 0
                for i in start..<at {
                    let (m, o1) = checked.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = m.addingReportingOverflow(UInt64(bytes[i] - 0x30))
                    if o1 || o2 { return .otherNumber }
                    checked = sum
                }
                n = checked
            }
            return .unsigned(n)
        case UInt8(ascii: "-"):
            at += 1
            guard more, peek >= 0x30, peek <= 0x39 else { return nil }
            while more, peek >= 0x30, peek <= 0x39 { at += 1 }
            _ = skipFraction()
            return .otherNumber
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
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
}
