#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Small reads of /proc and /sys files, without Foundation.
public enum SystemFile {
    /// The names in a directory (`.` and `..` included, as readdir gives them); empty when it
    /// cannot be opened.
    public static func entryNames(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            names.append(withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        return names
    }

    /// The whole file as bytes, or the errno of the failing call. /proc files report size 0, so
    /// this reads until end of file instead of trusting stat.
    public static func readBytes(_ path: String, limit: Int = 64 << 20) -> Result<[UInt8], Errno> {
        let fd: Int32
        do throws(Errno) { fd = try Syscall.open(path, O_RDONLY | O_CLOEXEC) } catch { return .failure(error) }
        defer { close(fd) }
        // Each read lands in scratch memory on the stack and only what was read is appended: no
        // file pays for zero-filling or copying a buffer sized for the largest (a sysctl is a few
        // bytes, /proc/net/tcp megabytes). Whole-buffer copies only: element-wise appends cost a
        // call per byte in a debug build.
        var out: [UInt8] = []
        let failure: Errno? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 << 16) { scratch in
            while out.count < limit {
                let n: Int
                do throws(Errno) { n = try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(scratch)) } catch { return error }
                if n == 0 { return nil }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<n]))
            }
            return nil
        }
        if let failure { return .failure(failure) }
        return .success(out)
    }

    public static func readString(_ path: String) -> String? {
        guard case let .success(bytes) = readBytes(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first line of a sysctl-style file, trimmed: `/proc/sys/net/ipv6/bindv6only` -> "0".
    public static func readValue(_ path: String) -> String? {
        guard let text = readString(path) else { return nil }
        return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: [" ", "\t"])
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Whether two paths name one file (same device and inode), links and `./` spellings included.
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// The inode number of what `path` names (links followed), nil when it cannot be read.
    public static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    /// Where a symbolic link points (`/proc/self/exe`: this binary).
    public static func linkTarget(_ path: String) throws(SockdiagError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length > 0 else { throw .system(call: "readlink", errno: .current, context: path) }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop(while: { set.contains($0) }).reversed().drop(while: { set.contains($0) }).reversed())
    }
}
