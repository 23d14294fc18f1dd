#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// An event log, cut at line starts into parts that two threads take from either end: the event
/// thread from the front, the capture thread from the back once its capture is read, so neither
/// core idles while the other still reads. The parts read from the back keep unnamed sockets'
/// totals aside (`WireEventLogReader(partStartingAt:)`); `merged` joins all parts into what one
/// pass would have read. What is not a regular file (a pipe) is one part, read in order from the
/// front.
final class EventLogParts: @unchecked Sendable {
    let path: String
    private let fd: Int32
    /// Part k is `starts[k]..<starts[k + 1]`; the last part runs to the end of the file, however
    /// long it is by then.
    private let starts: [Int]
    private let size: Int
    /// A regular file, read with `pread`: parts can be read from anywhere.
    private let seekable: Bool
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    /// Parts `0..<front` are the event thread's, `back..<starts.count` the capture thread's.
    private var front = 0
    private var back: Int

    /// Parts of about this many bytes, or fewer, larger parts for logs over 64 of them.
    static let partBytes = 2 << 20

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SockdiagError.invalidInput("cannot open events file \(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        seekable = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        self.path = path
        self.fd = fd
        size = seekable ? Int(info.st_size) : 0
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        let partBytes = max(EventLogParts.partBytes, size / 64)
        var starts = [0]
        var target = partBytes
        while target < size {
            guard let start = try EventLogParts.lineStart(fd, atOrAfter: target, path: path), start < size else { break }
            if start > starts.last! { starts.append(start) }
            target = max(start, target) + partBytes
        }
        self.starts = starts
        back = starts.count
    }

    deinit {
        close(fd)
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The event thread: parts from the front, all into one reader, until the threads meet.
    func readFromFront() throws -> WireEventLogReader {
        var reader = WireEventLogReader()
        reader.reserveCapacity(bytes: size)
        guard var part = claim(fromFront: true) else { return reader }
        var offset = starts[part]
        try reader.read { buffer in
            while true {
                let n = try read(into: buffer, at: offset, part: part)
                if n > 0 {
                    offset += n
                    return n
                }
                guard let next = claim(fromFront: true) else { return 0 }
                part = next
                offset = starts[next]
            }
        }
        return reader
    }

    /// The capture thread: parts from the back, each into a reader of its own, until the threads
    /// meet; front to back.
    func readFromBack() throws -> [WireEventLogReader] {
        guard seekable else { return [] }
        var readers: [WireEventLogReader] = []
        while let part = claim(fromFront: false) {
            var reader = WireEventLogReader(partStartingAt: starts[part])
            var offset = starts[part]
            try reader.read(chunkSize: 1 << 18) { buffer in
                let n = try read(into: buffer, at: offset, part: part)
                offset += n
                return n
            }
            readers.append(reader)
        }
        return readers.reversed()
    }

    /// The whole log, as one pass would have read it.
    func merged(_ first: WireEventLogReader, _ later: [WireEventLogReader]) throws -> WireEventLogReader {
        var whole = first
        for part in later {
            try whole.append(part) { offset, length in
                var line = [UInt8](repeating: 0, count: length)
                let n = try line.withUnsafeMutableBytes { try read(into: $0, at: offset) }
                return Array(line.prefix(n))
            }
        }
        try whole.validate(path: path)
        return whole
    }

    private func claim(fromFront: Bool) -> Int? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard front < back else { return nil }
        if fromFront {
            front += 1
            return front - 1
        }
        back -= 1
        return back
    }

    /// Reads from `offset` up to the end of `part` (the last part: of the file); 0 at its end.
    private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, part: Int) throws -> Int {
        let end = part + 1 < starts.count ? starts[part + 1] : Int.max
        guard offset < end else { return 0 }
        let count = min(buffer.count, end - offset)
        return try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), at: offset)
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        try EventLogParts.read(fd, into: buffer, at: seekable ? offset : nil, path: path)
    }

    /// `pread` at `offset`, or `read` where the file has no offsets; retried on EINTR.
    private static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int?, path: String) throws -> Int {
        while true {
            let n = offset.map { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t($0)) }
                ?? Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR {
                throw SockdiagError.invalidInput("cannot read events file \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The offset just past the first newline at or after `offset - 1`: where a line starts.
    private static func lineStart(_ fd: Int32, atOrAfter offset: Int, path: String) throws -> Int? {
        let window = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
        defer { window.deallocate() }
        var at = offset - 1
        while true {
            let n = try read(fd, into: window, at: at, path: path)
            if n == 0 { return nil }
            if let newline = memchr(window.baseAddress!, 0x0A, n) {
                return at + (UnsafeRawPointer(newline) - UnsafeRawPointer(window.baseAddress!)) + 1
            }
            at += n
        }
    }
}
