import SockdiagCore
import SockdiagSystem
import Synchronization

/// The reader of event logs: it owns the log's descriptor, its parts and the threads that read
/// them. The log is cut at line starts into parts that two threads take from either end: a thread
/// of the reader's own from the front, and the caller's thread from the back once its other work
/// (the capture) is done, so neither core idles while the other still reads. The parts read from
/// the back keep unnamed sockets' totals aside (`WireEventLogReader(partStartingAt:)`); `merged`
/// joins all parts into what one pass would have read. What is not a regular file (a pipe) is one
/// part, read in order from the front.
///
/// Every part of a regular file but the last is read where it lies, mapped (`MappedFileRegion`):
/// a log of a hundred megabytes is otherwise copied into buffers first, a quarter of the run. The
/// last part is read with `pread` up to the end of the file, however long that is by then.
///
/// A class, not a non-copyable owner: the reader's thread and the caller's share it, both reading
/// the descriptor and claiming parts under the lock. The descriptor's owner closes it once, when the
/// last of them lets go.
final class EventLogParts: @unchecked Sendable {
    let path: String
    private let file: FileDescriptor
    /// Part k is `starts[k]..<starts[k + 1]`; the last part runs to the end of the file, however
    /// long it is by then.
    private let starts: [Int]
    private let size: Int
    /// A regular file, read with `pread`: parts can be read from anywhere.
    private let seekable: Bool
    /// Parts `0..<front` are the event thread's, `back..<starts.count` the capture thread's.
    private struct Claimed {
        var front = 0
        var back: Int
    }
    private let claimed: Mutex<Claimed>

    /// Parts of about this many bytes, larger ones for logs of more than `maximumParts` parts:
    /// small enough that the two threads finish close together, large enough that a part costs
    /// little more than its reading.
    static let partBytes = 2 << 20
    static let maximumParts = 64

    /// Bytes in a row without a record after which an input that is not a regular file is given
    /// up on: /dev/zero or /dev/urandom would otherwise be read for ever.
    static let endlessInputBytes = 16 << 20

    convenience init(path: String, partBytes: Int = EventLogParts.partBytes) throws {
        try self.init(InputFile.open(path, what: "events file"), partBytes: partBytes)
    }

    /// Takes over the input's descriptor.
    init(_ input: consuming InputFile, partBytes: Int = EventLogParts.partBytes) throws {
        let path = input.displayName
        let size = input.size
        let file = input.takeDescriptor()
        seekable = size != nil
        self.size = size ?? 0
        starts = try EventLogParts.partStarts(file, size: self.size, partBytes: partBytes, path: path)
        self.path = path
        self.file = file
        claimed = Mutex(Claimed(back: starts.count))
    }

    /// Where the parts start: the file is mapped, and only the bytes around each cut are read.
    private static func partStarts(_ file: borrowing FileDescriptor, size: Int, partBytes: Int, path: String) throws -> [Int] {
        guard size > 0 else { return [0] }
        let whole = try map(file, offset: 0, count: size, populate: false, path: path)
        return whole.withBytes {
            WireEventLogReader.partStarts(of: $0, partBytes: partBytes, maximumParts: maximumParts)
        }
    }

    /// The whole log, read on a thread of its own while `work` runs on this one, which then takes
    /// parts from the back; and what `work` returned. A failure to read the log is reported
    /// before one of `work`.
    func read<Other>(alongside work: () throws -> Other) throws -> (WireEventLogReader, Other) {
        var front = Optional(BackgroundWork { try self.readFromFront() })
        let other = Result { try work() }
        var back: Result<[WireEventLogReader], Error> = .success([])
        if case .success = other { back = Result { try readFromBack() } }
        // The thread's object goes with this statement, and its copy of the reader with it: the
        // merge then adds to the first part's tables in place instead of copying them first.
        let first = try front.take()!.wait()
        let value = try other.get()
        return (try merged(consume first, back.get()), value)
    }

    var partCount: Int { starts.count }

    /// The event thread: parts from the front, all into one reader, until the threads meet.
    private func readFromFront() throws -> WireEventLogReader {
        var reader = WireEventLogReader()
        reader.reserveCapacity(bytes: size)
        guard var part = claim(fromFront: true) else { return reader }
        while seekable && part + 1 < starts.count {
            try readMapped(part, into: &reader)
            guard let next = claim(fromFront: true) else { return reader }
            part = next
        }
        // The last part, or a pipe.
        var offset = starts[part]
        try reader.read(giveUpAfter: seekable ? nil : EventLogParts.endlessInputBytes) { buffer in
            let n = try read(into: buffer, at: offset, part: part)
            offset += n
            return n
        }
        return reader
    }

    /// A part that ends at a line start, read where it lies in the file.
    private func readMapped(_ part: Int, into reader: inout WireEventLogReader) throws {
        let region = try EventLogParts.map(file, offset: starts[part], count: starts[part + 1] - starts[part], populate: true, path: path)
        _ = region.withBytes { reader.read(lines: $0, at: starts[part]) }
    }

    /// The capture thread: parts from the back, each into a reader of its own, until the threads
    /// meet; front to back.
    private func readFromBack() throws -> [WireEventLogReader] {
        guard seekable else { return [] }
        var readers: [WireEventLogReader] = []
        while let part = claim(fromFront: false) {
            var reader = WireEventLogReader(partStartingAt: starts[part])
            // Sized for the part, or its tables grow step by step, each step fresh memory and a copy.
            reader.reserveCapacity(bytes: (part + 1 < starts.count ? starts[part + 1] : size) - starts[part])
            if part + 1 < starts.count {
                try readMapped(part, into: &reader)
            } else {
                var offset = starts[part]
                try reader.read(chunkSize: 1 << 18) { buffer in
                    let n = try read(into: buffer, at: offset, part: part)
                    offset += n
                    return n
                }
            }
            readers.append(reader)
        }
        return readers.reversed()
    }

    /// The whole log, as one pass would have read it.
    private func merged(_ whole: consuming WireEventLogReader, _ later: [WireEventLogReader]) throws -> WireEventLogReader {
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
        claimed.withLock { claimed in
            guard claimed.front < claimed.back else { return nil }
            if fromFront {
                claimed.front += 1
                return claimed.front - 1
            }
            claimed.back -= 1
            return claimed.back
        }
    }

    /// Reads from `offset` up to the end of `part` (the last part: of the file); 0 at its end.
    private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, part: Int) throws -> Int {
        let end = part + 1 < starts.count ? starts[part + 1] : Int.max
        guard offset < end else { return 0 }
        let count = min(buffer.count, end - offset)
        return try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]), at: offset)
    }

    private func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        try EventLogParts.read(file, into: buffer, at: seekable ? offset : nil, path: path)
    }

    /// `pread` at `offset`, or `read` where the file has no offsets.
    private static func read(_ file: borrowing FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: Int?,
                             path: String) throws -> Int {
        do throws(Errno) { return try file.read(into: buffer, at: offset) } catch {
            throw SockdiagError.invalidInput("cannot read events file \(path): \(error.message)")
        }
    }

    private static func map(_ file: borrowing FileDescriptor, offset: Int, count: Int, populate: Bool, path: String) throws -> MappedFileRegion {
        do throws(Errno) { return try MappedFileRegion(file, offset: offset, count: count, populate: populate) } catch {
            throw SockdiagError.invalidInput("cannot read events file \(path): \(error.message)")
        }
    }
}
