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

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        (start + count).update(from: base, count: bytes.count)
        count &+= bytes.count
    }

    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }
}
