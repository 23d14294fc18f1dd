#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A child process that holds a socket handed to it as descriptor 3 and keeps it until its
/// standard input closes: a stand-in for "another program already on the port".
public final class SocketHolderProcess {
    public let pid: Int32
    /// The write end of the child's standard input, closed once: by `stop()` or with the holder.
    private var stdinWriter: FileDescriptor?

    /// Starts `arguments` (the first is the executable's path) with `socket` as its descriptor 3.
    /// The socket is taken over and closed here, so only the child holds it.
    public static func start(_ arguments: [String], holding socket: consuming OwnedSocket) throws(SockdiagError) -> SocketHolderProcess {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw .system(call: "pipe", errno: .current, context: "socket holder") }
        // Owned from here, so each end is closed once whichever way this returns.
        let reader = FileDescriptor(owning: pipeEnds[0]), writer = FileDescriptor(owning: pipeEnds[1])
        // Only the dup2'd copies (which do not inherit the flag) reach the child.
        reader.withRawValue { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        writer.withRawValue { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        reader.withRawValue { _ = posix_spawn_file_actions_adddup2(&actions, $0, 0) }
        socket.withDescriptor { _ = posix_spawn_file_actions_adddup2(&actions, $0, 3) }
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        reader.close()
        socket.close()
        guard status == 0 else { throw .system(call: "posix_spawn", errno: Errno(status), context: arguments[0]) }
        return SocketHolderProcess(pid: pid, stdinWriter: writer)
    }

    private init(pid: Int32, stdinWriter: consuming FileDescriptor) {
        self.pid = pid
        self.stdinWriter = consume stdinWriter
    }

    deinit { stop() }

    /// Closes the child's standard input and waits for it to exit.
    public func stop() {
        guard let writer = stdinWriter.take() else { return }
        writer.close()
        var status: Int32 = 0
        _ = try? Syscall.retrying { waitpid(pid, &status, 0) }
    }

    /// The child's side: wait for standard input to reach end of file, holding descriptor 3.
    public static func holdUntilStdinCloses() {
        var byte: UInt8 = 0
        while let n = try? withUnsafeMutableBytes(of: &byte, { buffer throws(Errno) in try Syscall.read(0, into: buffer) }), n > 0 {}
    }
}
