#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// A child process that holds a socket handed to it as descriptor 3 and keeps it until its
/// standard input closes: a stand-in for "another program already on the port".
public final class SocketHolderProcess {
    public let pid: Int32
    private var stdinWriter: Int32

    /// Starts `arguments` (the first is the executable's path) with `socket` as its descriptor 3.
    /// The socket is taken over and closed here, so only the child holds it.
    public static func start(_ arguments: [String], holding socket: consuming OwnedSocket) throws(SockdiagError) -> SocketHolderProcess {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw .system(call: "pipe", errno: Errno(errno), context: "socket holder") }
        // Only the dup2'd copies (which do not inherit the flag) reach the child.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        socket.withDescriptor { _ = posix_spawn_file_actions_adddup2(&actions, $0, 3) }
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        close(pipeEnds[0])
        socket.close()
        guard status == 0 else {
            close(pipeEnds[1])
            throw .system(call: "posix_spawn", errno: Errno(status), context: arguments[0])
        }
        return SocketHolderProcess(pid: pid, stdinWriter: pipeEnds[1])
    }

    private init(pid: Int32, stdinWriter: Int32) {
        self.pid = pid
        self.stdinWriter = stdinWriter
    }

    deinit { stop() }

    /// Closes the child's standard input and waits for it to exit.
    public func stop() {
        guard stdinWriter >= 0 else { return }
        close(stdinWriter)
        stdinWriter = -1
        var status: Int32 = 0
        _ = try? Syscall.retrying { waitpid(pid, &status, 0) }
    }

    /// The child's side: wait for standard input to reach end of file, holding descriptor 3.
    public static func holdUntilStdinCloses() {
        var byte: UInt8 = 0
        while let n = try? withUnsafeMutableBytes(of: &byte, { buffer throws(Errno) in try Syscall.read(0, into: buffer) }), n > 0 {}
    }
}
