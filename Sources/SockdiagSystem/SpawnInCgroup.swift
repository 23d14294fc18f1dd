#if canImport(Glibc)
import Glibc
#endif
import CSockdiagShim
import SockdiagCore

/// A command started inside a cgroup before its first instruction.
public final class SpawnedCommand {
    public let pid: Int32
    public let arguments: [String]
    public private(set) var result: TraceCommandResult?

    private init(pid: Int32, arguments: [String]) {
        self.pid = pid
        self.arguments = arguments
    }

    /// Finds the program as a shell would (a name with a slash is a path, otherwise each $PATH
    /// entry), so "not found" is known before anything is created.
    public static func resolveExecutable(_ name: String, path: String? = nil) throws(SockdiagError) -> String {
        guard !name.isEmpty else { throw .invalidInput("the command after '--' is an empty string") }
        if name.contains("/") {
            guard access(name, F_OK) == 0 else { throw .invalidInput("command not found: \(name)") }
            var info = stat()
            guard stat(name, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { throw .invalidInput("command is a directory: \(name)") }
            guard access(name, X_OK) == 0 else { throw .invalidInput("command is not executable: \(name)") }
            return name
        }
        let search = path ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        var sawNonExecutable = false
        for directory in search.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var info = stat()
            guard stat(candidate, &info) == 0, info.st_mode & S_IFMT != S_IFDIR else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            sawNonExecutable = true
        }
        throw .invalidInput(sawNonExecutable ? "command is not executable: \(name)" : "command not found: \(name)")
    }

    /// Starts `arguments` (the first one resolved with `resolveExecutable`) inside `cgroup`.
    public static func start(_ arguments: [String], in cgroup: TransientCgroup, stdoutToStderr: Bool) throws(SockdiagError) -> SpawnedCommand {
        guard let name = arguments.first else { throw .invalidInput("no command given after '--'") }
        let executable = try resolveExecutable(name)
        let procs = try cgroup.openProcsForWriting()
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        let pid = procs.withRawValue { procs in
            argv.withUnsafeMutableBufferPointer { buffer in
                sockdiag_spawn_in_cgroup(executable, buffer.baseAddress, procs, stdoutToStderr ? 1 : 0)
            }
        }
        guard pid > 0 else {
            let error = Errno(-pid)
            if error == .noSuchFileOrDirectory { throw .invalidInput("command not found: \(name)") }
            if error == Errno(ENOEXEC) { throw .invalidInput("cannot run \(name): not a program the kernel can execute (no #! line?)") }
            throw .system(call: "execve", errno: error, context: "starting \(name) in \(cgroup.directory.path)")
        }
        return SpawnedCommand(pid: pid, arguments: arguments)
    }

    /// Reaps the command if it has exited; true once it has.
    public func poll() -> Bool {
        if result != nil { return true }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        guard reaped == pid else { return false }
        record(status)
        return true
    }

    /// Waits until the command exits, up to `timeoutMilliseconds`; true when it has.
    public func wait(timeoutMilliseconds: Int) -> Bool {
        var waited = 0
        while !poll() {
            if waited >= timeoutMilliseconds { return false }
            usleep(10_000)
            waited += 10
        }
        return true
    }

    public func signal(_ number: Int32) {
        guard result == nil else { return }
        kill(pid, number)
    }

    /// Notes that sockdiag stopped the command (see `TransientCgroup.stopEverything`).
    func markStopped(by reason: String) {
        result?.stoppedBy = reason
    }

    private func record(_ status: Int32) {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let termination = status & 0x7F
        if termination == 0 {
            result = TraceCommandResult(arguments: arguments, pid: pid, status: .exited((status >> 8) & 0xFF))
        } else {
            result = TraceCommandResult(arguments: arguments, pid: pid, status: .signaled(termination))
        }
    }
}
