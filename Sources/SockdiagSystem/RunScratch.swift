#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A temporary file or directory of one run (`sockdiag-wire-XXXXXX.pcap`, a private cgroup2
/// mount point), in $TMPDIR or /tmp. The run holds an flock on it while it lives: a run killed by
/// SIGKILL cannot remove its scratch, but its lock dies with it, so the next run finds the
/// unlocked entries and removes them (`sweep`), whatever namespace either ran in.
public final class RunScratch {
    public let path: String
    private var lock: Int32

    private init(path: String, lock: Int32) {
        self.path = path
        self.lock = lock
    }

    /// $TMPDIR when it names a directory, /tmp otherwise, as mkstemp(3)'s callers do.
    public static var directory: String {
        if let value = getenv("TMPDIR").map({ String(cString: $0) }), value.hasPrefix("/") {
            var info = stat()
            if stat(value, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                return value.count > 1 && value.hasSuffix("/") ? String(value.dropLast()) : value
            }
        }
        return "/tmp"
    }

    /// A new empty file `PREFIX-XXXXXX.SUFFIX` (suffix with its dot), locked.
    public static func file(prefix: String, suffix: String) throws(SockdiagError) -> RunScratch {
        try make(prefix: prefix, suffix: suffix, what: "temporary file") { template in
            let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, Int32(suffix.utf8.count)) }
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return fd
        }
    }

    /// A new empty directory `PREFIX-XXXXXX`, locked.
    public static func directory(prefix: String) throws(SockdiagError) -> RunScratch {
        try make(prefix: prefix, suffix: "", what: "temporary directory") { template in
            guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { return -1 }
            return open(String(cString: template), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
    }

    private static func make(prefix: String, suffix: String, what: String,
                             create: (inout [CChar]) -> Int32) throws(SockdiagError) -> RunScratch {
        let base = directory + "/" + prefix + "-XXXXXX" + suffix
        for _ in 0..<16 {
            var template = Array(base.utf8CString)
            let fd = create(&template)
            guard fd >= 0 else { throw .system(call: suffix.isEmpty ? "mkdtemp" : "mkstemps", errno: Errno(errno), context: "\(what) \(base)") }
            let path = String(cString: template)
            // A sweep by another run may have taken it between creation and lock: then it is
            // locked by that run, or gone from the path, and this run makes another.
            var mine = stat(), named = stat()
            if flock(fd, LOCK_EX | LOCK_NB) == 0, fstat(fd, &mine) == 0, lstat(path, &named) == 0,
               mine.st_dev == named.st_dev, mine.st_ino == named.st_ino {
                return RunScratch(path: path, lock: fd)
            }
            close(fd)
        }
        throw .invalidInput("cannot create a \(what) in \(directory): another process keeps taking it")
    }

    /// Removes `PREFIX-*` entries of `directory` that no live run holds: files, and directories
    /// that are empty and not mount points here. Only this user's.
    public static func sweep(prefix: String, in directory: String = RunScratch.directory) {
        for name in SystemFile.entryNames(directory) where name.hasPrefix(prefix + "-") {
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_uid == geteuid() else { continue }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            guard isDirectory || (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (isDirectory ? O_DIRECTORY : 0))
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var opened = stat()
            // Through a mount point (a live run's private mount here) the descriptor is another
            // inode: leave it; rmdir would refuse anyway.
            guard fstat(fd, &opened) == 0, opened.st_dev == info.st_dev, opened.st_ino == info.st_ino,
                  flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
            if isDirectory { rmdir(path) } else { unlink(path) }
        }
    }

    /// Removes the file or (empty, unmounted) directory and drops the lock. Safe to call twice.
    public func remove() {
        guard lock >= 0 else { return }
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { rmdir(path) } else { unlink(path) }
        close(lock)
        lock = -1
    }

    deinit { remove() }
}
