internal import CLibBPF
import SockdiagCore
import SockdiagSystem

/// Runs bpf/sockopts.bpf.c: one pass over every task's file table that gives, for each open
/// socket, the processes holding it and its SO_REUSEADDR, SO_REUSEPORT, bound device and
/// IPV6_V6ONLY.
public enum SockoptIterator {
    /// nil when BPF iterators cannot be used here (no privilege, an old kernel, no BTF), so the
    /// caller falls back to /proc for owners and goes without the flags.
    /// `port`: only sockets bound to this local port (nil: every socket).
    public static func inventory(port: UInt16? = nil) -> SocketInventory? {
        // target_port 0 (the object's own value): every port.
        let readOnly = port.map { [SockoptsBPF.ReadOnly.targetPort.set(to: $0)] } ?? []
        return BPFIterator.output(EmbeddedPrograms.sockopts, name: "sockopts", program: SockoptsBPF.Program.socketOwners, readOnly: readOnly)
            .map { SocketInventory(records: $0, seesEveryProcess: inInitialPidNamespace) }
    }

    /// The ids of the sk_lookup BPF programs attached to the current network namespace; they pick
    /// a socket for each new connection before the kernel's listener lookup runs. nil when the
    /// query is not possible here.
    public static func socketLookupPrograms() -> [UInt32]? {
        guard let namespace = try? FileDescriptor.open("/proc/thread-self/ns/net") else { return nil }
        var ids = [UInt32](repeating: 0, count: 64)
        var count = UInt32(ids.count)
        var flags: UInt32 = 0
        let rc = namespace.withRawValue { fd in
            ids.withUnsafeMutableBufferPointer { bpf_prog_query(fd, BPF_SK_LOOKUP, 0, &flags, $0.baseAddress, &count) }
        }
        guard rc == 0 else { return nil }
        return Array(ids.prefix(Int(count)))
    }

    /// The task iterator walks the tasks of the reader's pid namespace: every task on the host
    /// only from the initial one (PROC_PID_INIT_INO, include/linux/proc_ns.h).
    private static var inInitialPidNamespace: Bool { SystemFile.inode("/proc/self/ns/pid") == 0xEFFF_FFFC }
}

/// The iterator's output, kept raw: only the few inodes a report needs are looked up, so no
/// table of every socket on the host is built. Records are
/// {u64 inode, u32 tgid, u32 fd, s32 bound_dev_if, u16 family, u8 reuse, u8 flags, then a TCP
/// socket's bind bucket: u32 fastuid, u32 fast_rcv_saddr, u8 fast_v6_rcv_saddr[16],
/// u16 fast_family, s8 fastreuse, s8 fastreuseport, u8 fast_ipv6_only, u8 read, u8 state, u8 pad,
/// then u32 netns inode, u32 uid, u32 rcv_saddr, u8 v6_rcv_saddr[16], u16 local port, u8 pad[2],
/// s32 incoming CPU (-1: none), u32 pad}.
public struct SocketInventory: Sendable {
    static let recordSize = 96
    let records: [UInt8]
    /// Whether the walk met every process on the host (it runs in the initial pid namespace), so
    /// that every socket a process holds is in it.
    let seesEveryProcess: Bool

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
            guard AddressFamily(rawSocketFamily: Int(family)) != nil, found[inode] == nil else { return }
            let ifindex = raw.loadUnaligned(fromByteOffset: i + 16, as: Int32.self)
            let flags = raw[i + 23]
            let incomingCPU = raw.loadUnaligned(fromByteOffset: i + 88, as: Int32.self)
            found[inode] = BindCheckSocketOptions(
                reuseaddr: raw[i + 22] != 0, reuseport: flags & 1 != 0, v6only: flags & 2 != 0,
                boundDeviceIndex: ifindex, boundDevice: ifindex > 0 ? interfaceName(ifindex) : nil,
                bindBucket: raw[i + 53] == 0 ? nil : bindBucket(raw, i), incomingCPU: incomingCPU >= 0 ? Int(incomingCPU) : nil)
        }
        return found
    }

    /// The TCP sockets on `port` in the network namespace `netns` that bound without listen() or
    /// connect() (state CLOSE and still in a bind bucket), as sock_diag's TCPF_BOUND_INACTIVE
    /// dump lists them, with their owners and options attached by the caller. nil when the walk
    /// did not see every process; a socket no process holds (a kernel socket) is not among them.
    public func boundInactive(port: UInt16, netns: UInt64) -> [BindCheckSocket]? {
        guard seesEveryProcess else { return nil }
        var found: [BindCheckSocket] = []
        var seen: Set<UInt64> = []
        records.withUnsafeBytes { raw in
            var i = 0
            while i + SocketInventory.recordSize <= raw.count {
                defer { i += SocketInventory.recordSize }
                let inode = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                // bucket read (TCP only) and state TCP_CLOSE (7)
                guard raw[i + 53] != 0, raw[i + 54] == BindCheckSocketState.close.rawValue,
                      raw.loadUnaligned(fromByteOffset: i + 84, as: UInt16.self) == port,
                      UInt64(raw.loadUnaligned(fromByteOffset: i + 56, as: UInt32.self)) == netns,
                      let family = AddressFamily(rawSocketFamily: Int(raw.loadUnaligned(fromByteOffset: i + 20, as: UInt16.self))),
                      seen.insert(inode).inserted else { continue }
                let address: IPAddress = family == .inet6
                    ? .v6(IPv6Address(networkBytes: Array(raw[(i + 68)..<(i + 84)])))
                    : .v4(IPv4Address(networkBytes: Array(raw[(i + 64)..<(i + 68)])))
                let unspecified: IPAddress = family == .inet6 ? .v6(.any) : .v4(.any)
                found.append(BindCheckSocket(family: family, transport: .tcp, state: .close,
                                             local: SocketAddress(address, Port(port)), remote: SocketAddress(unspecified, Port(0)),
                                             v6only: family == .inet6 ? raw[i + 23] & 2 != 0 : nil,
                                             uid: raw.loadUnaligned(fromByteOffset: i + 60, as: UInt32.self), inode: inode))
            }
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

    private func bindBucket(_ raw: UnsafeRawBufferPointer, _ i: Int) -> BindCheckBindBucket {
        let family: AddressFamily = AddressFamily(rawSocketFamily: Int(raw.loadUnaligned(fromByteOffset: i + 48, as: UInt16.self))) == .inet6 ? .inet6 : .inet
        let address: IPAddress = family == .inet6
            ? .v6(IPv6Address(networkBytes: Array(raw[(i + 32)..<(i + 48)])))
            : .v4(IPv4Address(networkBytes: Array(raw[(i + 28)..<(i + 32)])))
        return BindCheckBindBucket(fastreuse: Int8(bitPattern: raw[i + 50]), fastreuseport: Int8(bitPattern: raw[i + 51]),
                                   uid: raw.loadUnaligned(fromByteOffset: i + 24, as: UInt32.self),
                                   family: family, address: address, v6only: raw[i + 52] != 0)
    }

    private func interfaceName(_ index: Int32) -> String {
        NetworkInterface.name(ofIndex: UInt32(index)) ?? "ifindex \(index)"
    }
}
