#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// One page of a descriptor mapped read-only and shared (a BPF ring buffer's position pages),
/// unmapped once, when its owner goes.
public struct MappedPage: ~Copyable {
    public let base: UnsafeRawPointer
    private let length: Int

    /// The machine's page size.
    public static var size: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// The page at `pageIndex` pages into the descriptor.
    public init(_ descriptor: Int32, pageIndex: Int) throws(Errno) {
        let length = MappedPage.size
        guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor, off_t(pageIndex * length)),
              mapped != MAP_FAILED else { throw Errno.current }
        base = UnsafeRawPointer(mapped)
        self.length = length
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }
}
