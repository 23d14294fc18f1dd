#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Bytes of a regular file, mapped read-only into memory: the page cache read in place, without
/// the copy `read` makes into a buffer of ours. Unmapped exactly once, when the owner goes.
///
/// The file must not shrink below the region while it is mapped: a read of a page past the new
/// end raises SIGBUS. Appending to it is harmless (an event log still being written).
public struct MappedFileRegion: ~Copyable {
    /// Where the mapping starts: `offset` rounded down to a page.
    private let mapping: UnsafeMutableRawPointer?
    private let mappedBytes: Int
    /// How far into the mapping `offset` is.
    private let lead: Int
    public let count: Int

    /// Maps `count` bytes of `file` from `offset`. With `populate`, for bytes that are all about to
    /// be read, the page tables are filled at once (`MAP_POPULATE`: one call instead of a fault
    /// every few pages).
    public init(_ file: borrowing FileDescriptor, offset: Int, count: Int, populate: Bool) throws(Errno) {
        let lead = offset % MappedPages.size
        let mappedBytes = lead + count
        self.count = count
        self.lead = lead
        self.mappedBytes = mappedBytes
        guard count > 0 else {
            mapping = nil
            return
        }
        let flags = MAP_PRIVATE | (populate ? MAP_POPULATE : 0)
        let start = file.withRawValue { Glibc.mmap(nil, mappedBytes, PROT_READ, flags, $0, off_t(offset - lead)) }
        guard let start, start != MAP_FAILED else { throw Errno.current }
        mapping = start
    }

    /// Lends the bytes for the length of `body`, which must not keep them.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        guard let mapping else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: mapping + lead, count: count))
    }

    deinit {
        if let mapping { _ = munmap(mapping, mappedBytes) }
    }
}
