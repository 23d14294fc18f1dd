/// The last few address texts an event log's reader parsed, with what each parsed to. A log
/// repeats a handful of addresses on nearly every line (a client's `127.0.0.1`, its
/// `::ffff:127.0.0.1`), and scanning such a text for its closing quote and parsing it again was a
/// sixth of reading the log: a remembered text is recognised instead by three masked word
/// compares and the quote after it. A text is remembered only after the ordinary reading accepted
/// it (no escape, no control byte, an address), so the same bytes always give the same address.
struct WireAddressMemo: Sendable {
    private struct Entry: Sendable {
        /// The text's bytes as three words loaded from its first byte, bytes past it zero.
        var words: Words
        var mask: Words
        var count: Int
        var address: WireAddress
    }

    /// Longer texts (IPv6 without a short form) are parsed every time.
    static let maximumLength = 24
    static let slots = 4

    private var entries: [Entry] = []
    private var next = 0

    init() {
        entries.reserveCapacity(WireAddressMemo.slots)
    }

    /// The remembered address whose text starts at `at` and is followed by a quote, and the
    /// text's length.
    @inline(__always)
    func find(in bytes: UnsafeRawBufferPointer, at: Int) -> (address: WireAddress, count: Int)? {
        // Three words and the quote after a text of the longest length must lie in the line.
        guard bytes.count &- at > WireAddressMemo.maximumLength else { return nil }
        let words = WireAddressMemo.words(bytes.baseAddress! + at)
        for entry in entries where words.0 & entry.mask.0 == entry.words.0 && words.1 & entry.mask.1 == entry.words.1
            && words.2 & entry.mask.2 == entry.words.2
            && bytes.load(fromByteOffset: at &+ entry.count, as: UInt8.self) == UInt8(ascii: "\"") {
            return (entry.address, entry.count)
        }
        return nil
    }

    /// Remembers `text`, which the ordinary reading took for `address`, in place of the oldest.
    mutating func remember(_ text: UnsafeRawBufferPointer, as address: WireAddress) {
        guard text.count > 0, text.count <= WireAddressMemo.maximumLength else { return }
        var padded = (UInt64(0), UInt64(0), UInt64(0)), ones = (UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &padded) { $0.copyMemory(from: text) }
        withUnsafeMutableBytes(of: &ones) { raw in
            for i in 0..<text.count { raw[i] = 0xFF }
        }
        let words = withUnsafeBytes(of: &padded) { WireAddressMemo.words($0.baseAddress!) }
        let mask = withUnsafeBytes(of: &ones) { WireAddressMemo.words($0.baseAddress!) }
        let entry = Entry(words: words, mask: mask, count: text.count, address: address)
        if entries.count < WireAddressMemo.slots {
            entries.append(entry)
        } else {
            entries[next] = entry
            next = (next &+ 1) % WireAddressMemo.slots
        }
    }

    private typealias Words = (UInt64, UInt64, UInt64)

    @inline(__always)
    private static func words(_ base: UnsafeRawPointer) -> Words {
        (base.loadUnaligned(as: UInt64.self), base.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
         base.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
    }
}
