/// Where byte writers put their output: a growing array, a cursor over memory sized in advance
/// (`ByteCursor`), or trace's output buffer.
public protocol ByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension Array: ByteSink where Element == UInt8 {}

extension ByteSink {
    /// Fixed text, copied without going through `String`.
    @inline(__always)
    public mutating func append(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

/// What a JSON string does with a control character.
public enum JSONControlCharacters: Sendable {
    /// `\n`, `\r`, `\t`, else `\u00XX`: what JSON requires.
    case escaped
    /// `?`: every byte of the text stays at most two bytes in the output, so a writer into memory
    /// sized in advance (a compare-wire row) can bound names it does not control.
    case replaced
}

/// The byte-level JSON writer: every JSON document and line sockdiag prints is written through
/// these, whether built as a `JSON` value, streamed by `JSONWriter`, or written straight into a
/// sink on a fast path (trace's lines, compare-wire's rows).
extension ByteSink {
    @inline(__always)
    public mutating func appendJSONNull() { append("null") }

    @inline(__always)
    public mutating func appendJSONBool(_ value: Bool) { append(value ? "true" : "false") }

    @inline(__always)
    public mutating func appendJSONNumber(_ value: UInt64) { WireText.decimal(value, to: &self) }

    @inline(__always)
    public mutating func appendJSONNumber<I: BinaryInteger>(_ value: I) {
        if value < 0 {
            append(0x2D)
            WireText.decimal(UInt64(value.magnitude), to: &self)
        } else {
            WireText.decimal(UInt64(value), to: &self)
        }
    }

    @inline(__always)
    public mutating func appendJSONNumber<I: BinaryInteger>(_ value: I?) {
        if let value { appendJSONNumber(value) } else { appendJSONNull() }
    }

    /// A finite double as Swift prints it; `null` otherwise (JSON has no NaN or infinity).
    public mutating func appendJSONNumber(_ value: Double) {
        guard value.isFinite else { appendJSONNull(); return }
        appendJSONText(String(value))
    }

    /// `text` as a JSON string. Bytes of multi-byte characters pass through unchanged.
    public mutating func appendJSONString(_ text: String, controlCharacters: JSONControlCharacters = .escaped) {
        append(0x22)
        appendJSONText(text, controlCharacters: controlCharacters)
        append(0x22)
    }

    public mutating func appendJSONString(_ text: String?) {
        if let text { appendJSONString(text) } else { appendJSONNull() }
    }

    /// Fixed text that needs no escaping (names of cases, keys).
    @inline(__always)
    public mutating func appendJSONString(_ text: StaticString) {
        append(0x22)
        append(text)
        append(0x22)
    }

    /// A process name as a JSON string.
    mutating func appendJSONString(_ comm: WireComm) {
        append(0x22)
        comm.forEachByte { appendJSONEscaped($0, controlCharacters: .escaped) }
        append(0x22)
    }

    /// An address as a JSON string (RFC 5952 text).
    @inline(__always)
    mutating func appendJSONString(_ address: WireAddress) {
        append(0x22)
        address.write(to: &self)
        append(0x22)
    }

    mutating func appendJSONString(_ address: WireAddress?) {
        if let address { appendJSONString(address) } else { appendJSONNull() }
    }

    /// An address as a JSON string, with its `%zone` when it has one.
    public mutating func appendJSONString(_ address: IPAddress) {
        append(0x22)
        address.write(to: &self)
        append(0x22)
    }

    /// `,"name":`: a key after an earlier member of a compact object.
    @inline(__always)
    public mutating func appendJSONKey(_ name: StaticString) {
        append(0x2C)
        append(0x22)
        append(name)
        append(0x22)
        append(0x3A)
    }

    /// `{"name":`: a compact object and its first key.
    @inline(__always)
    public mutating func appendJSONObject(firstKey name: StaticString) {
        append(0x7B)
        append(0x22)
        append(name)
        append(0x22)
        append(0x3A)
    }

    /// A string's contents, escaped, without the quotes.
    @inline(__always)
    mutating func appendJSONText(_ text: String, controlCharacters: JSONControlCharacters = .escaped) {
        let plain = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C { return false }
            append(contentsOf: utf8)
            return true
        }
        if plain != true { for byte in text.utf8 { appendJSONEscaped(byte, controlCharacters: controlCharacters) } }
    }

    @inline(__always)
    mutating func appendJSONEscaped(_ byte: UInt8, controlCharacters: JSONControlCharacters) {
        switch byte {
        case 0x22: append(0x5C); append(0x22)
        case 0x5C: append(0x5C); append(0x5C)
        case 0..<0x20 where controlCharacters == .replaced: append(0x3F)
        case 0x0A: append(0x5C); append(0x6E)
        case 0x0D: append(0x5C); append(0x72)
        case 0x09: append(0x5C); append(0x74)
        case 0..<0x20:
            append(0x5C); append(0x75); append(0x30); append(0x30)
            append(byte >> 4 == 0 ? 0x30 : 0x31)
            let low = byte & 0xF
            append(low < 10 ? 0x30 + low : 0x57 + low)
        default: append(byte)
        }
    }
}

/// A streaming JSON writer into bytes, for whole documents. The first `indentedLevels` levels are
/// indented by two spaces (`": "` after their keys); deeper containers stay on one line. compare-wire's
/// report indents two levels, so tens of thousands of flows read one flow per line and are written
/// without a value tree; `JSON.pretty` indents every level and `JSON.compact` none.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private let indentedLevels: Int
    private var depth = 0
    private var needsComma = false
    private var afterKey = false

    public init(indentedLevels: Int, reserving capacity: Int = 4096) {
        self.indentedLevels = indentedLevels
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    private mutating func prepareValue() {
        if afterKey { afterKey = false; return }
        if needsComma { bytes.append(0x2C) }
        if depth > 0 && depth <= indentedLevels { newline() }
    }

    private mutating func newline() {
        bytes.append(0x0A)
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    public mutating func beginObject() { prepareValue(); bytes.append(0x7B); depth += 1; needsComma = false }
    public mutating func beginArray() { prepareValue(); bytes.append(0x5B); depth += 1; needsComma = false }

    public mutating func endObject() { end(0x7D) }
    public mutating func endArray() { end(0x5D) }

    private mutating func end(_ bracket: UInt8) {
        depth -= 1
        if needsComma && depth < indentedLevels { newline() }
        bytes.append(bracket)
        needsComma = true
    }

    private mutating func afterKeyName() {
        bytes.append(0x3A)
        if depth <= indentedLevels { bytes.append(0x20) }
        afterKey = true
    }

    public mutating func key(_ name: StaticString) {
        prepareValue()
        bytes.appendJSONString(name)
        afterKeyName()
    }

    public mutating func key(dynamic name: String) {
        prepareValue()
        bytes.appendJSONString(name)
        afterKeyName()
    }

    public mutating func null() { prepareValue(); bytes.appendJSONNull(); needsComma = true }

    public mutating func bool(_ value: Bool) { prepareValue(); bytes.appendJSONBool(value); needsComma = true }

    public mutating func number(_ value: UInt64) { prepareValue(); bytes.appendJSONNumber(value); needsComma = true }

    public mutating func number<I: BinaryInteger>(_ value: I?) { prepareValue(); bytes.appendJSONNumber(value); needsComma = true }

    public mutating func number(_ value: Double) { prepareValue(); bytes.appendJSONNumber(value); needsComma = true }

    public mutating func text(_ text: String?) { prepareValue(); bytes.appendJSONString(text); needsComma = true }

    /// A whole value on one line, whatever the depth.
    public mutating func compact(_ value: JSON) {
        prepareValue()
        bytes += value.bytes(indentedLevels: 0)
        needsComma = true
    }

    /// The caller wrote values into the open container itself (with their separators), through
    /// the sink between two `drain`s: later values need a comma before them when there were any.
    public mutating func valuesWrittenElsewhere(_ any: Bool) {
        if any { needsComma = true }
    }

    /// Hands what is written so far to `sink` and keeps writing into the same buffer.
    public mutating func drain(to sink: ([UInt8]) -> Void) {
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// Ends the document with a newline.
    public mutating func finish() { bytes.append(0x0A) }
}
