import CSockdiagShim
import SockdiagCore
import SockdiagSystem

/// Runs bpf/socket_snapshot.bpf.c: the TCP and UDP sockets the processes of a cgroup (and of its
/// descendants) hold now, with the cookies the trace's hooks will report for them.
public enum SocketSnapshot {
    /// nil when BPF iterators cannot be used here or the cgroup cannot be placed in its
    /// hierarchy. A socket several processes hold (after fork) is listed once, with the first.
    public static func take(of cgroup: CgroupDirectory, in hierarchy: CgroupHierarchy) -> [TraceExistingSocket]? {
        guard let id = cgroup.id, let level = hierarchy.level(of: cgroup) else { return nil }
        let timeNs = WallClock.nowNs
        // A cgroup of a few processes: only their file tables are walked. The program still keeps
        // to the subtree (a process may move out meanwhile); many processes, or the root: one
        // pass over every task.
        let processes = level == 0 ? [] : CgroupTreeWalk.processes(under: cgroup.path)
        let readOnly = [SocketSnapshotBPF.ReadOnly.targetCgroupId.set(to: id),
                        SocketSnapshotBPF.ReadOnly.targetLevel.set(to: UInt32(level))]
        guard let bytes = BPFIterator.output(EmbeddedPrograms.socketSnapshot, name: "socket_snapshot",
                                             program: SocketSnapshotBPF.Program.existingSockets,
                                             processes: (1...walkedOneByOne).contains(processes.count) ? processes : nil,
                                             readOnly: readOnly) else { return nil }
        return decode(bytes, timeNs: timeNs)
    }

    /// Up to this many processes, one walk each (a walk costs a link and a read, ~20 µs).
    static let walkedOneByOne = 256

    private typealias Record = sockdiag_socket_record

    static func decode(_ bytes: [UInt8], timeNs: UInt64) -> [TraceExistingSocket] {
        let size = MemoryLayout<Record>.size
        // Sized once: 24,000 records grew both through a dozen copies and rehashes.
        var seen = Set<UInt64>(minimumCapacity: bytes.count / size)
        var sockets: [TraceExistingSocket] = []
        sockets.reserveCapacity(bytes.count / size)
        bytes.withUnsafeBytes { raw in
            var at = 0
            while at + size <= raw.count {
                defer { at += size }
                let record = raw.loadUnaligned(fromByteOffset: at, as: Record.self)
                guard let family = AddressFamily(rawSocketFamily: Int(record.family)),
                      let transport = TransportProtocol(ipProtocolNumber: Int(record.protocol)),
                      let state = BindCheckSocketState(rawValue: record.state),
                      seen.insert(record.cookie).inserted else { continue }
                let local = SocketAddress(address(record.local_addr, family), Port(record.local_port))
                let remoteAddress = address(record.remote_addr, family)
                let connected = record.remote_port != 0 || !remoteAddress.isUnspecified
                sockets.append(TraceExistingSocket(
                    timeNs: timeNs, pid: Int32(bitPattern: record.tgid), comm: TraceRecordDecoder.cString(record.comm),
                    cgroupID: record.cgroup_id, cookie: record.cookie, socketFamily: family, transport: transport,
                    state: state, v6only: record.flags & UInt8(SOCKDIAG_SNAPSHOT_V6ONLY) != 0, local: local,
                    remote: connected ? SocketAddress(remoteAddress, Port(record.remote_port)) : nil))
            }
        }
        return sockets
    }

    private static func address<T>(_ field: T, _ family: AddressFamily) -> IPAddress {
        withUnsafeBytes(of: field) { TraceRecordDecoder.address($0.baseAddress!, v4: family == .inet) }
    }
}
