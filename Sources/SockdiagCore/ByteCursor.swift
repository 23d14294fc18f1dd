/// Writes into memory the caller sized for the largest possible output, with no capacity checks
/// per byte: the writer of one report row knows its bound, so the hot loop is plain stores.
struct ByteCursor: ByteSink {
    let start: UnsafeMutablePointer<UInt8>
    private(set) var count = 0

    init(_ start: UnsafeMutablePointer<UInt8>) { self.start = start }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        start[count] = byte
        count &+= 1
    }

    /// Keys and names (under 17 bytes) are copied in two overlapping words each, inline: a
    /// call to memmove per key was a seventh of a report's rendering.
    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count, to = UnsafeMutableRawPointer(start + count), from = UnsafeRawPointer(base)
        if n >= 8 && n <= 16 {
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            (to + (n &- 8)).storeBytes(of: from.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self), as: UInt64.self)
        } else if n >= 4 && n < 8 {
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            (to + (n &- 4)).storeBytes(of: from.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self), as: UInt32.self)
        } else if n < 4 {
            var i = 0
            while i < n { start[count &+ i] = base[i]; i &+= 1 }
        } else {
            (start + count).update(from: base, count: n)
        }
        count &+= n
    }

    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }
}
