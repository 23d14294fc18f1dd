#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The one way to call the C library's system calls, as swift-nio's `System.swift` and
/// swift-system's wrappers do: `errno` is read first, right after the call and before anything
/// else can change it, a call interrupted by a signal (EINTR) is made again, and a failure comes
/// out as a typed `Errno`.
public enum Syscall {
    /// Calls `body` until it returns something other than -1 with EINTR; -1 throws the errno.
    @inline(__always)
    public static func retrying<Result: FixedWidthInteger>(_ body: () -> Result) throws(Errno) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = errno
            if error != EINTR { throw Errno(error) }
        }
    }

    /// `read` into `buffer`, or `pread` at `offset`: the byte count, 0 at the end of the file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int? = nil) throws(Errno) -> Int {
        try retrying {
            offset.map { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t($0)) }
                ?? Glibc.read(fd, buffer.baseAddress, buffer.count)
        }
    }

    /// Writes all of `bytes`, however many calls it takes.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let written = try retrying { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            // No progress on a descriptor that took no error: nothing more will go.
            if written == 0 { throw Errno(EIO) }
            offset += written
        }
    }

    /// `recv` into all of `buffer`: the byte count.
    public static func receive(_ fd: Int32, into buffer: inout [UInt8]) throws(Errno) -> Int {
        try retrying { buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) } }
    }

    /// `send` of `bytes` as one message: the byte count sent.
    public static func send(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) -> Int {
        try retrying { bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }
    }

    /// `poll` on one descriptor for `events`: the events that came (`revents`), 0 when
    /// `timeoutMilliseconds` (-1: no limit) passed first. A signal restarts the wait.
    public static func poll(_ fd: Int32, for events: Int16, timeoutMilliseconds: Int32) throws(Errno) -> Int16 {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ready = try retrying { Glibc.poll(&entry, 1, timeoutMilliseconds) }
        return ready > 0 ? entry.revents : 0
    }

    /// Writes all of `bytes`, however many calls it takes.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        let failure: Errno? = bytes.withUnsafeBytes { buffer in
            do throws(Errno) { try writeAll(fd, buffer); return nil } catch { return error }
        }
        if let failure { throw failure }
    }

    /// `getaddrinfo(name, NULL, hints)`: its code and, when the code is EAI_SYSTEM, the errno of the
    /// system call that failed inside it, read before anything else runs. The list is the
    /// caller's to free.
    public static func getaddrinfo(_ name: String, hints: inout addrinfo,
                                   into list: inout UnsafeMutablePointer<addrinfo>?) -> (code: Int32, system: Errno?) {
        name.withCString { name in
            let code = Glibc.getaddrinfo(name, nil, &hints, &list)
            return (code, code == EAI_SYSTEM ? Errno.current : nil)
        }
    }

    /// `open(path, flags)`; the descriptor is the caller's to close.
    public static func open(_ path: String, _ flags: Int32) throws(Errno) -> Int32 {
        try retrying { Glibc.open(path, flags) }
    }

    /// `open(path, flags, mode)`, for flags that may create the file.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t) throws(Errno) -> Int32 {
        try retrying { Glibc.open(path, flags, mode) }
    }
}

extension Errno {
    /// `errno` as it is now: read it first, before any other call can change it.
    public static var current: Errno { Errno(errno) }

    /// The C library's words for it: "No such file or directory".
    public var message: String { String(cString: strerror(rawValue)) }
}

/// `madvise(MADV_HUGEPAGE)` for SockdiagCore's large tables (`WireHugePages`).
public enum HugePageAdvice {
    public static func install() {
        WireHugePages.adviser = { start, length in _ = madvise(start, length, MADV_HUGEPAGE) }
    }
}
