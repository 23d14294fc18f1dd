#if canImport(Glibc)
import Glibc
#endif

/// A descriptor this process owns. It is closed exactly once: by `close()`, which consumes the
/// owner, or when the owner goes out of scope; a second close, or a use after the close, does not
/// compile. The number is lent out only for the length of a call (`withRawValue`), or handed
/// over for good to a C library that closes it itself (`release()`).
public struct FileDescriptor: ~Copyable {
    private let rawValue: Int32

    /// Takes over `rawValue`, which nothing else may close.
    public init(owning rawValue: Int32) { self.rawValue = rawValue }

    /// Calls `body` with the number, which it must neither keep nor close.
    public func withRawValue<Result>(_ body: (Int32) throws -> Result) rethrows -> Result { try body(rawValue) }

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
