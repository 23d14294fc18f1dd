#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import SockdiagCore

/// Runs bpf/sockopts.bpf.c: one pass over every task's file table that gives, for each open
/// socket, the processes holding it and its SO_REUSEADDR, SO_REUSEPORT, bound device and
/// IPV6_V6ONLY.
public enum SockoptIterator {
    /// nil when BPF iterators cannot be used here (no privilege, an old kernel, no BTF), so the
    /// caller falls back to /proc for owners and goes without the flags.
    public static func inventory() -> SocketInventory? {
        guard let object = Base64.decode(EmbeddedBPFObjects.sockoptsBase64) else { return nil }
        let previous = libbpf_set_print(nil) // a failure here means "fall back", not noise on stderr
        defer { libbpf_set_print(previous) }
        return object.withUnsafeBytes { raw -> SocketInventory? in
            var options = bpf_object_open_opts()
            options.sz = MemoryLayout<bpf_object_open_opts>.size
            guard let obj = bpf_object__open_mem(raw.baseAddress, raw.count, &options) else { return nil }
            defer { bpf_object__close(obj) }
            guard bpf_object__load(obj) == 0, let records = run(obj, "socket_owners") else { return nil }
            return SocketInventory(records: records)
        }
    }

    private static func run(_ obj: OpaquePointer, _ name: String) -> [UInt8]? {
        guard let program = bpf_object__find_program_by_name(obj, name),
              let link = bpf_program__attach_iter(program, nil) else { return nil }
        defer { bpf_link__destroy(link) }
        let fd = bpf_iter_create(bpf_link__fd(link))
        guard fd >= 0 else { return nil }
        defer { close(fd) }
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
        return bytes
    }
}

/// The iterator's output, kept raw: only the few inodes a report needs are looked up, so no
/// table of every socket on the host is built. Records are
/// {u64 inode, u32 tgid, u32 fd, s32 bound_dev_if, u16 family, u8 reuse, u8 flags}.
public struct SocketInventory: Sendable {
    static let recordSize = 24
    let records: [UInt8]

    /// The pids holding each of `inodes`.
    public func owners(of inodes: Set<UInt64>) -> [UInt64: [Int32]] {
        var owners: [UInt64: [Int32]] = [:]
        forEach(of: inodes) { inode, raw, i in
            let pid = Int32(bitPattern: raw.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self))
            if !(owners[inode]?.contains(pid) ?? false) { owners[inode, default: []].append(pid) }
        }
        return owners
    }

    /// The options of each of `inodes` that is an AF_INET or AF_INET6 socket.
    public func options(of inodes: Set<UInt64>) -> [UInt64: BindCheckSocketOptions] {
        var found: [UInt64: BindCheckSocketOptions] = [:]
        forEach(of: inodes) { inode, raw, i in
            let family = raw.loadUnaligned(fromByteOffset: i + 20, as: UInt16.self)
            guard family == UInt16(AF_INET) || family == UInt16(AF_INET6), found[inode] == nil else { return }
            let ifindex = raw.loadUnaligned(fromByteOffset: i + 16, as: Int32.self)
            let flags = raw[i + 23]
            found[inode] = BindCheckSocketOptions(
                reuseaddr: raw[i + 22] != 0, reuseport: flags & 1 != 0, v6only: flags & 2 != 0,
                boundDeviceIndex: ifindex, boundDevice: ifindex > 0 ? interfaceName(ifindex) : nil)
        }
        return found
    }

    private func forEach(of inodes: Set<UInt64>, _ body: (UInt64, UnsafeRawBufferPointer, Int) -> Void) {
        records.withUnsafeBytes { raw in
            var i = 0
            while i + SocketInventory.recordSize <= raw.count {
                let inode = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if inodes.contains(inode) { body(inode, raw, i) }
                i += SocketInventory.recordSize
            }
        }
    }

    private func interfaceName(_ index: Int32) -> String {
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(UInt32(index), &name) != nil else { return "ifindex \(index)" }
        return String(cString: name)
    }
}
