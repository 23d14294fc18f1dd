/// Memory that report rows are rendered into where they stay until written out: a block of rows
/// per core, kept and reused from block to block, so its pages are touched (and zeroed by the
/// kernel) once per run, and no row is copied on its way to the output. One thread at a time.
public final class WireJSONBlock: @unchecked Sendable {
    private var storage: UnsafeMutablePointer<UInt8>?
    private var capacity = 0
    public private(set) var count = 0

    public init() {}

    deinit { storage?.deallocate() }

    /// Empties the block, keeping its memory.
    public func removeAll() { count = 0 }

    /// Lets `body` write at most `bound` bytes after what the block holds, through a cursor that
    /// checks no capacity per byte.
    func append(atMost bound: Int, _ body: (inout ByteCursor) -> Void) {
        reserve(count + bound)
        var cursor = ByteCursor(storage! + count)
        body(&cursor)
        precondition(cursor.count <= bound, "a report block overran its bound")
        count += cursor.count
    }

    /// The bytes written so far.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    private func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        // Only what is written is touched: a bound far above the typical row costs address space.
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: max(needed, capacity * 2))
        if let storage {
            larger.update(from: storage, count: count)
            storage.deallocate()
        }
        storage = larger
        capacity = max(needed, capacity * 2)
    }
}
