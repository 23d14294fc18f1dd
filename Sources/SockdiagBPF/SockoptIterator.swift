#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import SockdiagCore

/// Runs the iterators of bpf/sockopts.bpf.c: who holds every open socket (iter/task_file), and
/// each TCP or UDP socket's SO_REUSEADDR, SO_REUSEPORT, bound device and IPV6_V6ONLY
/// (iter/tcp with bpf_getsockopt, iter/udp from the socket's fields). One object, so the kernel's
/// BTF is parsed once.
public enum SockoptIterator {
    /// nil when BPF iterators cannot be used here (no privilege, an old kernel, no BTF), so the
    /// caller falls back to /proc for owners and goes without the flags.
    public static func inventory(_ transport: TransportProtocol) -> SocketInventory? {
        guard let object = Base64.decode(EmbeddedBPFObjects.sockoptsBase64) else { return nil }
        let previous = libbpf_set_print(nil) // a failure here means "fall back", not noise on stderr
        defer { libbpf_set_print(previous) }
        return object.withUnsafeBytes { raw -> SocketInventory? in
            var options = bpf_object_open_opts()
            options.sz = MemoryLayout<bpf_object_open_opts>.size
            guard let obj = bpf_object__open_mem(raw.baseAddress, raw.count, &options) else { return nil }
            defer { bpf_object__close(obj) }
            let flagsProgram = transport == .tcp ? "tcp_sockopts" : "udp_sockopts"
            let unused = transport == .tcp ? "udp_sockopts" : "tcp_sockopts"
            if let program = bpf_object__find_program_by_name(obj, unused) { bpf_program__set_autoload(program, false) }
            guard bpf_object__load(obj) == 0, let owners = run(obj, "socket_owners") else { return nil }
            // Flags are a bonus: an older kernel without bpf_getsockopt in iterators still gives owners.
            let flags = run(obj, flagsProgram) ?? []
            return SocketInventory(ownerRecords: owners, optionRecords: flags)
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

/// The iterators' output, kept raw: only the few inodes a report needs are looked up, so no
/// table of every socket on the host is built.
public struct SocketInventory: Sendable {
    let ownerRecords: [UInt8]
    let optionRecords: [UInt8]

    /// The pids holding each of `inodes` ({u64 inode, u32 tgid, u32 fd} records).
    public func owners(of inodes: Set<UInt64>) -> [UInt64: [Int32]] {
        var owners: [UInt64: [Int32]] = [:]
        ownerRecords.withUnsafeBytes { raw in
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

    /// The options of each of `inodes` ({u64 inode, s32 ifindex, u8 reuseaddr, reuseport, v6only, how}).
    public func options(of inodes: Set<UInt64>) -> [UInt64: BindCheckSocketOptions] {
        var found: [UInt64: BindCheckSocketOptions] = [:]
        optionRecords.withUnsafeBytes { raw in
            var i = 0
            while i + 16 <= raw.count {
                let inode = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if inodes.contains(inode) {
                    let ifindex = raw.loadUnaligned(fromByteOffset: i + 8, as: Int32.self)
                    found[inode] = BindCheckSocketOptions(
                        reuseaddr: raw[i + 12] != 0, reuseport: raw[i + 13] != 0, v6only: raw[i + 14] != 0,
                        boundDeviceIndex: ifindex, boundDevice: ifindex > 0 ? interfaceName(ifindex) : nil)
                }
                i += 16
            }
        }
        return found
    }

    private func interfaceName(_ index: Int32) -> String {
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(UInt32(index), &name) != nil else { return "ifindex \(index)" }
        return String(cString: name)
    }
}
