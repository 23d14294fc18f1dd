#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Finds the processes holding given socket inodes by reading the `socket:[INODE]` links in
/// /proc/PID/fd. Only the wanted inodes are looked for, and the walk stops once every one has an
/// owner; after that only children of found owners (forked workers sharing a listener) are read.
public enum BindCheckOwnerScan {
    public struct Result: Sendable {
        public var pids: [UInt64: [Int32]] = [:]
        /// Some process's fd table could not be read (another user's, without root).
        public var someHidden = false
    }

    public static func find(_ inodes: Set<UInt64>, procRoot: String = "/proc") -> Result {
        var result = Result()
        guard !inodes.isEmpty, let proc = opendir(procRoot) else { return result }
        defer { closedir(proc) }
        var pids: [Int32] = []
        while let entry = readdir(proc) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { raw -> Int32? in
                var v: Int32 = 0
                for byte in raw {
                    if byte == 0 { break }
                    guard byte >= 0x30 && byte <= 0x39, v < 100_000_000 else { return nil }
                    v = v * 10 + Int32(byte - 0x30)
                }
                return v > 0 ? v : nil
            }
            if let pid { pids.append(pid) }
        }
        var pidsFound: Set<Int32> = []
        var missing = inodes
        var owners: [UInt64: [Int32]] = [:]
        for pid in pids {
            if missing.isEmpty {
                guard let parent = parentPID(pid, procRoot), pidsFound.contains(parent) else { continue }
            }
            switch sockets(of: pid, wanted: inodes, procRoot) {
            case nil:
                result.someHidden = true
            case let found?:
                for inode in found {
                    owners[inode, default: []].append(pid)
                    missing.remove(inode)
                    pidsFound.insert(pid)
                }
            }
        }
        result.pids = owners
        return result
    }

    /// The wanted inodes among one process's fds; nil when its fd table cannot be read.
    static func sockets(of pid: Int32, wanted: Set<UInt64>, _ procRoot: String) -> [UInt64]? {
        guard let dir = opendir("\(procRoot)/\(pid)/fd") else {
            // A process that exited meanwhile hides nothing.
            return errno == ENOENT ? [] : nil
        }
        defer { closedir(dir) }
        let dfd = dirfd(dir)
        var found: [UInt64] = []
        var link = [UInt8](repeating: 0, count: 64)
        while let entry = readdir(dir) {
            let n = withUnsafeBytes(of: entry.pointee.d_name) { name in
                link.withUnsafeMutableBufferPointer { buffer in
                    readlinkat(dfd, name.baseAddress!.assumingMemoryBound(to: CChar.self),
                               UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), 64)
                }
            }
            // "socket:[12345]"
            guard n > 9, link[0] == 0x73, link[6] == 0x3A, link[7] == 0x5B else { continue }
            var inode: UInt64 = 0
            var i = 8
            while i < n, link[i] >= 0x30, link[i] <= 0x39 {
                inode = inode * 10 + UInt64(link[i] - 0x30)
                i += 1
            }
            if wanted.contains(inode) { found.append(inode) }
        }
        return found
    }

    /// The fourth field of /proc/PID/stat, after the parenthesised command name.
    static func parentPID(_ pid: Int32, _ procRoot: String) -> Int32? {
        guard let stat = SystemFile.readString("\(procRoot)/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }
}
