/// Tables of many megabytes (a log's sockets, their indexes) are written once, front to back.
/// Backed by 2 MB pages they cost a handful of page faults instead of one per 4 KB page, which on
/// a large log is a tenth of the run. Only advice: where transparent huge pages are off, nothing
/// changes.
public enum WireHugePages {
    static let size = 2 << 20

    /// How the system is asked for 2 MB pages over an aligned region: SockdiagCore makes no system
    /// call itself, so SockdiagSystem installs `madvise` here (`HugePageAdvice.install()`).
    /// Until then nothing is asked, which changes the time of a run, never its result.
    nonisolated(unsafe) public static var adviser: ((UnsafeMutableRawPointer, Int) -> Void)? = nil

    /// Advises 2 MB pages for the whole 2 MB pages inside `bytes` bytes from `start`; regions too
    /// small to hold two are left alone.
    static func advise(_ start: UnsafeMutableRawPointer, bytes: Int) {
        guard let adviser, bytes >= 2 * size else { return }
        let first = (Int(bitPattern: start) + size - 1) & ~(size - 1)
        let end = (Int(bitPattern: start) + bytes) & ~(size - 1)
        guard end > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) else { return }
        adviser(aligned, end - first)
    }
}

extension Array {
    /// `reserveCapacity`, with the new storage advised into 2 MB pages before anything touches it.
    mutating func reserveCapacityInHugePages(_ minimumCapacity: Int) {
        reserveCapacity(minimumCapacity)
        let bytes = capacity * MemoryLayout<Element>.stride
        withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { WireHugePages.advise(UnsafeMutableRawPointer(base), bytes: bytes) }
        }
    }

    /// `count` copies of `value` in storage advised into 2 MB pages before it is filled.
    init(repeatingInHugePages value: Element, count: Int) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                WireHugePages.advise(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<Element>.stride)
                base.initialize(repeating: value, count: count)
            }
            initialized = count
        }
    }
}
