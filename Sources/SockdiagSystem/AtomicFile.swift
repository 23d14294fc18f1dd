#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// `--output FILE`: the whole text goes to a temporary file in FILE's directory (`.NAME.XXXXXX`,
/// which node_exporter's textfile collector skips, as it reads only `*.prom`), is synced, and is
/// renamed over FILE. A reader sees the old file or the new one, never half of either.
public enum AtomicFile {
    public static func write(_ text: String, to path: String) throws(SockdiagError) {
        let (directory, name) = try split(path)
        var template = Array("\(directory)/.\(name).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw .system(call: "mkstemp", errno: Errno(errno), context: "a temporary file in \(directory) for \(path)") }
        let temporary = String(cString: template)
        var open = true
        defer {
            if open { close(fd) }
            unlink(temporary)
        }
        // mkstemp makes 0600; the collector runs as another user.
        fchmod(fd, 0o644)
        do throws(Errno) {
            try Syscall.writeAll(fd, Array(text.utf8))
        } catch {
            throw .system(call: "write", errno: error, context: temporary)
        }
        guard fsync(fd) == 0 else { throw .system(call: "fsync", errno: Errno(errno), context: temporary) }
        open = false
        guard close(fd) == 0 else { throw .system(call: "close", errno: Errno(errno), context: temporary) }
        guard rename(temporary, path) == 0 else { throw .system(call: "rename", errno: Errno(errno), context: "\(temporary) -> \(path)") }
    }

    /// Fails now, before a long run, when FILE could not be written at its end.
    public static func checkWritable(_ path: String) throws(SockdiagError) {
        let (directory, _) = try split(path)
        guard access(directory, W_OK) == 0 else {
            throw .system(call: "access", errno: Errno(errno), context: "--output \(path): cannot create files in \(directory)")
        }
    }

    private static func split(_ path: String) throws(SockdiagError) -> (directory: String, name: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty, name != ".", name != ".." else { throw .invalidInput("--output needs a file name, got '\(path)'") }
        return (directory, name)
    }
}
