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

    /// `what` names the input in messages ("events file"). Each failure is named from the errno
    /// its call left, read first; what was opened closes with its owner on the way out.
    public static func open(_ path: String, what: String) throws(SockdiagError) -> InputFile {
        guard !path.isEmpty else { throw .invalidInput("\(what): the path is empty") }
        let file: FileDescriptor
        if path == "-" {
            do throws(Errno) {
                file = FileDescriptor(owning: try Syscall.retrying { fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3) })
            } catch {
                throw .invalidInput("\(what) - (standard input): \(error.message)")
            }
            guard file.withRawValue({ isatty($0) }) == 0 else {
                throw .invalidInput("\(what) - is standard input, a terminal: pipe the file in or name it")
            }
        } else {
            var info = stat()
            if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO {
                let opened = sockdiag_open_read_within(path, fifoWriterSeconds)
                if opened == -EINTR {
                    throw .invalidInput("\(what) \(path) is a FIFO that nothing opened for writing within \(fifoWriterSeconds) s")
                }
                guard opened >= 0 else { throw .invalidInput("cannot open \(what) \(path): \(Errno(-opened).message)") }
                file = FileDescriptor(owning: opened)
            } else {
                do throws(Errno) { file = try FileDescriptor.open(path) } catch {
                    throw .invalidInput("cannot open \(what) \(path): \(error.message)")
                }
            }
        }
        var info = stat()
        do throws(Errno) {
            _ = try file.withRawValue { fd throws(Errno) in try Syscall.retrying { fstat(fd, &info) } }
        } catch {
            throw .invalidInput("cannot read \(what) \(path): \(error.message)")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw .invalidInput("\(what) \(path) is a directory") }
        return InputFile(descriptor: file, path: path, size: (info.st_mode & S_IFMT) == S_IFREG ? Int(info.st_size) : nil)
    }

    /// Gives the descriptor's owner to a reader (an `EventLogParts`, libpcap's capture source).
    public consuming func takeDescriptor() -> FileDescriptor { descriptor }

    /// The name for messages: `-` is standard input.
    public var displayName: String { path == "-" ? "standard input" : path }
}
