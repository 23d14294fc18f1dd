#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A descriptor this process owns. It is closed exactly once: by `close()`, which consumes the
/// owner, or when the owner goes out of scope; a second close, or a use after the close, does not
/// compile. The number is lent out only for the length of a call (`withRawValue`), or handed
/// over for good to a C library that closes it itself (`release()`).
public struct FileDescriptor: ~Copyable {
    private let rawValue: Int32

    /// Takes over `rawValue`, which nothing else may close.
    public init(owning rawValue: Int32) { self.rawValue = rawValue }

    /// Opens `path` for reading.
    public static func open(_ path: String) throws(Errno) -> FileDescriptor {
        FileDescriptor(owning: try Syscall.open(path, O_RDONLY | O_CLOEXEC))
    }

    /// Creates the file at `path` (mode 0644), or empties the one there, open for writing.
    public static func create(_ path: String) throws(Errno) -> FileDescriptor {
        FileDescriptor(owning: try Syscall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644))
    }

    /// Calls `body` with the number, which it must neither keep nor close.
    public func withRawValue<Result, Failure: Error>(_ body: (Int32) throws(Failure) -> Result) throws(Failure) -> Result {
        try body(rawValue)
    }

    /// `read` into `buffer`, or `pread` at `offset`: the byte count, 0 at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int? = nil) throws(Errno) -> Int {
        try Syscall.read(rawValue, into: buffer, at: offset)
    }

    /// Writes all of `bytes`, however many calls it takes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(Errno) { try Syscall.writeAll(rawValue, bytes) }

    /// Closes the descriptor now.
    public consuming func close() {
        let fd = rawValue
        discard self
        _ = Glibc.close(fd)
    }

    /// Gives the number to a new owner (`fdopen`, libpcap) that closes it; this owner does not.
    public consuming func release() -> Int32 {
        let fd = rawValue
        discard self
        return fd
    }

    deinit { _ = Glibc.close(rawValue) }
}
