/// A streaming JSON writer into bytes. The top two levels are indented like `JSON.pretty`; deeper
/// containers (one flow, the summary) stay on one line, so a report of tens of thousands of flows
/// reads as one flow per line and is written without building a value tree first.
public struct WireJSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var depth = 0
    private var needsComma = false
    private var afterKey = false

    public init(reserving capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    private static let compactDepth = 3
    private static let indentation = [UInt8](repeating: 0x20, count: 2 * compactDepth)

    @inline(__always)
    private mutating func prepareValue() {
        if afterKey { afterKey = false; return }
        if needsComma { bytes.append(0x2C) }
        if depth > 0 && depth < WireJSONWriter.compactDepth { newline() }
    }

    private mutating func newline() {
        bytes.append(0x0A)
        bytes.append(contentsOf: WireJSONWriter.indentation[0..<(2 * depth)])
    }

    public mutating func beginObject() { prepareValue(); bytes.append(0x7B); depth += 1; needsComma = false }
    public mutating func beginArray() { prepareValue(); bytes.append(0x5B); depth += 1; needsComma = false }

    public mutating func endObject() { end(0x7D) }
    public mutating func endArray() { end(0x5D) }

    private mutating func end(_ bracket: UInt8) {
        depth -= 1
        if needsComma && depth + 1 < WireJSONWriter.compactDepth { newline() }
        bytes.append(bracket)
        needsComma = true
    }

    public mutating func key(_ name: StaticString) {
        prepareValue()
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(0x22)
        bytes.append(0x3A)
        if depth < WireJSONWriter.compactDepth { bytes.append(0x20) }
        afterKey = true
    }

    public mutating func key(dynamic name: String) {
        prepareValue()
        escaped(name.utf8)
        bytes.append(0x3A)
        if depth < WireJSONWriter.compactDepth { bytes.append(0x20) }
        afterKey = true
    }

    public mutating func null() { prepareValue(); bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]); needsComma = true }

    public mutating func number(_ value: UInt64) { prepareValue(); WireText.decimal(value, to: &bytes); needsComma = true }

    public mutating func number<I: BinaryInteger>(_ value: I?) {
        guard let value else { null(); return }
        prepareValue()
        if value < 0 { WireText.signed(Int64(value), to: &bytes) } else { WireText.decimal(UInt64(value), to: &bytes) }
        needsComma = true
    }

    public mutating func string(_ text: StaticString) {
        prepareValue()
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        bytes.append(0x22)
        needsComma = true
    }

    public mutating func text(_ text: String?) {
        guard let text else { null(); return }
        prepareValue()
        escaped(text.utf8)
        needsComma = true
    }

    public mutating func string(_ comm: WireComm) {
        prepareValue()
        WireJSONWriter.appendString(comm, to: &bytes)
        needsComma = true
    }

    /// Text as a JSON string, escaped.
    public static func appendString<Sink: WireByteSink>(_ text: String, to out: inout Sink) {
        out.append(0x22)
        for byte in text.utf8 { escape(byte, to: &out) }
        out.append(0x22)
    }

    /// A process name as a JSON string, escaped.
    public static func appendString<Sink: WireByteSink>(_ comm: WireComm, to out: inout Sink) {
        out.append(0x22)
        comm.forEachByte { escape($0, to: &out) }
        out.append(0x22)
    }

    public mutating func address(_ address: WireAddress?) {
        guard let address else { null(); return }
        prepareValue()
        bytes.append(0x22)
        address.write(to: &bytes)
        bytes.append(0x22)
        needsComma = true
    }

    private mutating func escaped(_ utf8: String.UTF8View) {
        bytes.append(0x22)
        let plain = utf8.withContiguousStorageIfAvailable { storage -> Bool in
            guard !storage.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            bytes.append(contentsOf: storage)
            return true
        }
        if plain != true { for byte in utf8 { escape(byte) } }
        bytes.append(0x22)
    }

    /// One byte of a string's contents; bytes of multi-byte characters pass through unchanged.
    @inline(__always)
    private mutating func escape(_ byte: UInt8) { WireJSONWriter.escape(byte, to: &bytes) }

    @inline(__always)
    private static func escape<Sink: WireByteSink>(_ byte: UInt8, to out: inout Sink) {
        switch byte {
        case 0x22: out.append(0x5C); out.append(0x22)
        case 0x5C: out.append(0x5C); out.append(0x5C)
        case 0x0A: out.append(0x5C); out.append(0x6E)
        case 0x0D: out.append(0x5C); out.append(0x72)
        case 0x09: out.append(0x5C); out.append(0x74)
        case 0..<0x20:
            out.append(0x5C); out.append(0x75); out.append(0x30); out.append(0x30)
            out.append(byte >> 4 == 0 ? 0x30 : 0x31)
            let low = byte & 0xF
            out.append(low < 10 ? 0x30 + low : 0x57 + low)
        default: out.append(byte)
        }
    }

    /// A complete compact value the caller writes itself (one flow object, written with few, large
    /// appends: the hot path of big reports).
    public mutating func raw(_ body: (inout [UInt8]) -> Void) {
        prepareValue()
        body(&bytes)
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
