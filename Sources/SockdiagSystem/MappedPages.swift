#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Pages of a descriptor mapped read-only and shared (a BPF ring buffer's position pages, a
/// mappable BPF array), unmapped once, when their owner goes.
public struct MappedPages: ~Copyable {
    public let base: UnsafeRawPointer
    /// The bytes mapped: whole pages.
    public let length: Int

    /// The machine's page size.
    public static var size: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// The page at `pageIndex` pages into the descriptor.
    public init(_ descriptor: Int32, pageIndex: Int) throws(Errno) {
        try self.init(descriptor, offset: pageIndex * MappedPages.size, bytes: MappedPages.size)
    }

    /// The first `bytes` of the descriptor, rounded up to whole pages.
    public init(_ descriptor: Int32, bytes: Int) throws(Errno) {
        try self.init(descriptor, offset: 0, bytes: bytes)
    }

    private init(_ descriptor: Int32, offset: Int, bytes: Int) throws(Errno) {
        let page = MappedPages.size
        let length = (bytes + page - 1) / page * page
        guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor, off_t(offset)),
              mapped != MAP_FAILED else { throw Errno.current }
        base = UnsafeRawPointer(mapped)
        self.length = length
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }
}
