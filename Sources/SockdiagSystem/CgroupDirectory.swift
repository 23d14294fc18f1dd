#if canImport(Glibc)
import Glibc
#endif
import CSockdiagShim
import SockdiagCore

/// An open cgroup v2 directory: the descriptor BPF programs attach to.
public final class CgroupDirectory {
    static let cgroup2Magic: Int = 0x6367_7270

    public let path: String
    /// Owned by this object; closed by `close()` or on deinit.
    private var descriptor: FileDescriptor?

    private init(path: String, descriptor: consuming FileDescriptor) {
        self.path = path
        self.descriptor = .some(descriptor)
    }

    /// Calls `body` with the directory's descriptor (-1 once closed), which it must neither keep nor close.
    public func withDescriptor<Result>(_ body: (Int32) -> Result) -> Result {
        descriptor?.withRawValue(body) ?? body(-1)
    }

    /// Opens an existing cgroup v2 directory, saying what is wrong otherwise.
    public static func open(_ path: String) throws(SockdiagError) -> CgroupDirectory {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let error = Errno(errno)
            if error == .noSuchFileOrDirectory { throw .invalidInput("no such cgroup: \(path)") }
            throw .system(call: "stat", errno: error, context: "cgroup \(path)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .invalidInput("\(path) is not a cgroup directory") }
        guard isCgroup2(path) else {
            throw .invalidInput("\(path) is not on a cgroup v2 filesystem (eBPF cgroup hooks need cgroup v2)")
        }
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(call: "open", errno: Errno(errno), context: "cgroup \(path)") }
        return CgroupDirectory(path: path, descriptor: FileDescriptor(owning: fd))
    }

    static func isCgroup2(_ path: String) -> Bool {
        sockdiag_filesystem_type(path) == cgroup2Magic
    }

    /// The processes in this cgroup now (not its children).
    public func processes() -> [Int32] {
        guard let text = SystemFile.readString(path + "/cgroup.procs") else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    /// The cgroup's id: what BPF programs read as its kernfs node id (bpf_get_current_cgroup_id),
    /// the directory's inode number.
    public var id: UInt64? {
        var info = stat()
        guard withDescriptor({ fstat($0, &info) }) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    public func close() {
        descriptor.take()?.close()
    }
}

/// A child cgroup made for one run (`trace -- CMD`), removed by `remove()`.
public final class TransientCgroup {
    public let directory: CgroupDirectory
    private let parent: String
    private var removed = false

    private init(directory: CgroupDirectory, parent: String) {
        self.directory = directory
        self.parent = parent
    }

    /// Creates `parent/name`; fails if it already exists, so another run's cgroup is never reused.
    public static func create(named name: String, under parent: String) throws(SockdiagError) -> TransientCgroup {
        let path = parent + "/" + name
        guard mkdir(path, 0o755) == 0 else {
            throw .system(call: "mkdir", errno: Errno(errno), context: "creating cgroup \(path)")
        }
        do {
            return TransientCgroup(directory: try CgroupDirectory.open(path), parent: parent)
        } catch {
            rmdir(path)
            throw error
        }
    }

    /// Removes the empty `PREFIX-PID` cgroups of runs that are gone: a run killed with SIGKILL
    /// cannot remove its own (its links die with it, the directory stays). A directory whose
    /// process is alive belongs to that run, unless the PID is this process's, which can only be
    /// an earlier run's with the same number; one with processes in it is kept by the kernel.
    public static func removeStale(prefix: String, under parent: String) {
        for name in SystemFile.entryNames(parent) where name.hasPrefix(prefix + "-") {
            guard let pid = pid_t(name.dropFirst(prefix.count + 1)), pid > 0 else { continue }
            if pid == getpid() || (kill(pid, 0) != 0 && errno == ESRCH) { rmdir(parent + "/" + name) }
        }
    }

    /// Opens cgroup.procs for writing: the child writes itself into it between fork and exec.
    public func openProcsForWriting() throws(SockdiagError) -> FileDescriptor {
        do throws(Errno) {
            return FileDescriptor(owning: try Syscall.open(directory.path + "/cgroup.procs", O_WRONLY | O_CLOEXEC))
        } catch {
            throw .system(call: "open", errno: error, context: "\(directory.path)/cgroup.procs")
        }
    }

    /// Moves processes still inside (a command's background children) to the parent cgroup, so
    /// they keep running, then removes the directory. Returns the number of processes moved.
    @discardableResult
    public func remove() -> Int {
        guard !removed else { return 0 }
        removed = true
        directory.close()
        var moved = 0
        for attempt in 0..<50 {
            if rmdir(directory.path) == 0 || errno == ENOENT { return moved }
            guard errno == EBUSY else { return moved }
            let leftovers = (try? CgroupDirectory.open(directory.path))?.processes() ?? []
            if attempt > 0 || !leftovers.isEmpty {
                for pid in leftovers where SystemFile.write(String(pid), to: parent + "/cgroup.procs") { moved += 1 }
            }
            usleep(20_000) // a process that just exited leaves the cgroup a moment later
        }
        return moved
    }

    deinit { remove() }
}

extension SystemFile {
    /// Writes the text to an existing file (cgroup control files); true when the whole text was written.
    public static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } == bytes.count
    }
}
