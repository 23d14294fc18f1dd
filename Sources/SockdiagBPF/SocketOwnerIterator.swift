#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import SockdiagCore

/// Which processes hold every open socket, from one BPF task-file iterator pass
/// (bpf/socket_owners.bpf.c) instead of a readlink() per file descriptor under /proc.
public enum SocketOwnerIterator {
    /// Every open socket of every process; nil when BPF iterators cannot be used here (no
    /// privilege, an old kernel, no BTF), so the caller falls back to /proc.
    public static func allSocketOwners() -> SocketOwnerRecords? {
        guard let object = Base64.decode(EmbeddedBPFObjects.socketOwnersBase64) else { return nil }
        let previous = libbpf_set_print(nil) // a failure here means "fall back", not noise on stderr
        defer { libbpf_set_print(previous) }
        return object.withUnsafeBytes { raw -> SocketOwnerRecords? in
            var options = bpf_object_open_opts()
            options.sz = MemoryLayout<bpf_object_open_opts>.size
            guard let obj = bpf_object__open_mem(raw.baseAddress, raw.count, &options) else { return nil }
            defer { bpf_object__close(obj) }
            guard bpf_object__load(obj) == 0,
                  let program = bpf_object__find_program_by_name(obj, "socket_owners"),
                  let link = bpf_program__attach_iter(program, nil) else { return nil }
            defer { bpf_link__destroy(link) }
            let fd = bpf_iter_create(bpf_link__fd(link))
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            return read(records: fd)
        }
    }

    /// Reads {u64 inode, u32 tgid, u32 fd} records until the iterator ends.
    private static func read(records fd: Int32) -> SocketOwnerRecords? {
        var bytes = [UInt8](repeating: 0, count: 1 << 19)
        var used = 0
        while true {
            if bytes.count - used < 1 << 16 { bytes += [UInt8](repeating: 0, count: bytes.count) }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + used, $0.count - used) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return nil
            }
            if n == 0 { break }
            used += n
        }
        bytes.removeLast(bytes.count - used)
        return SocketOwnerRecords(bytes: bytes)
    }
}

/// The iterator's output, kept raw: only the few inodes a report needs are looked up, so no
/// table of every socket on the host is built.
public struct SocketOwnerRecords: Sendable {
    let bytes: [UInt8]

    /// The pids holding each of `inodes`.
    public func owners(of inodes: Set<UInt64>) -> [UInt64: [Int32]] {
        var owners: [UInt64: [Int32]] = [:]
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i + 16 <= raw.count {
                let inode = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if inodes.contains(inode) {
                    let pid = Int32(bitPattern: raw.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self))
                    if !(owners[inode]?.contains(pid) ?? false) { owners[inode, default: []].append(pid) }
                }
                i += 16
            }
        }
        return owners
    }
}
