#if canImport(Glibc)
import Glibc
#endif
import CSockdiagShim
import SockdiagCore

/// An input file named on the command line (`--pcap`, `--events`), open for reading: a file, a
/// pipe or FIFO, a device, or `-` for standard input. Everything that would make a run wait for
/// ever or read nonsense is refused here, with the name the user gave.
public struct InputFile: ~Copyable {
    /// Closed with the input, unless `release()` handed it on.
    private let descriptor: FileDescriptor
    /// What the user typed, `-` included.
    public let path: String
    /// A regular file: it has a size and offsets, and can be read twice.
    public var isRegular: Bool { size != nil }
    /// A regular file's size when it was opened; nil for anything else.
    public let size: Int?

    /// How long a FIFO may wait for a writer to open it: `open` blocks until one does, and a FIFO
    /// nobody writes to would hold the run for ever.
    public static let fifoWriterSeconds: UInt32 = 5

    /// `what` names the input in messages ("events file").
    public static func open(_ path: String, what: String) throws(SockdiagError) -> InputFile {
        guard !path.isEmpty else { throw .invalidInput("\(what): the path is empty") }
        let fd: Int32
        if path == "-" {
            fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
            guard fd >= 0 else { throw .invalidInput("\(what) - (standard input): \(String(cString: strerror(errno)))") }
            if isatty(fd) != 0 {
                close(fd)
                throw .invalidInput("\(what) - is standard input, a terminal: pipe the file in or name it")
            }
        } else {
            var info = stat()
            let isFIFO = stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO
            let opened = isFIFO ? sockdiag_open_read_within(path, fifoWriterSeconds) : Glibc.open(path, O_RDONLY | O_CLOEXEC)
            if isFIFO && opened == -EINTR {
                throw .invalidInput("\(what) \(path) is a FIFO that nothing opened for writing within \(fifoWriterSeconds) s")
            }
            let error = isFIFO ? -opened : errno
            guard opened >= 0 else { throw .invalidInput("cannot open \(what) \(path): \(String(cString: strerror(error)))") }
            fd = opened
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = errno
            close(fd)
            throw .invalidInput("cannot read \(what) \(path): \(String(cString: strerror(error)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .invalidInput("\(what) \(path) is a directory")
        }
        return InputFile(descriptor: FileDescriptor(owning: fd), path: path,
                         size: (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil)
    }

    /// Gives the descriptor to a C library that closes it (libpcap).
    public consuming func release() -> Int32 { descriptor.release() }

    /// Gives the descriptor's owner to a reader (an `EventLogParts`).
    public consuming func takeDescriptor() -> FileDescriptor { descriptor }

    /// The name for messages: `-` is standard input.
    public var displayName: String { path == "-" ? "standard input" : path }
}
