import SockdiagCore

/// Runs bpf/udp_chains.bpf.c: the UDP sockets in the order the kernel's datagram lookup walks
/// them (its secondary hash chains, `udptable->hash2`), which the sock_diag dump does not show.
public enum UDPLookupChains {
    /// Each socket's place in its lookup chain, by inode: smaller is nearer the head, comparable
    /// between sockets of one chain. nil when BPF iterators cannot be used here. The iterator walks
    /// the calling thread's network namespace. `port`: only sockets on this local port (nil: all).
    public static func positions(port: UInt16? = nil) -> [UInt64: Int]? {
        let readOnly = port.map { [UdpChainsBPF.ReadOnly.targetPort.set(to: $0)] } ?? []
        guard let bytes = BPFIterator.output(EmbeddedPrograms.udpChains, name: "udp_chains",
                                             program: UdpChainsBPF.Program.udpChains, readOnly: readOnly) else { return nil }
        return positions(records: bytes)
    }

    /// Records are {u64 inode, u32 hash2 bucket, u16 port, u16 family}, in walk order.
    static let recordSize = 16

    static func positions(records bytes: [UInt8]) -> [UInt64: Int] {
        var found: [UInt64: Int] = [:]
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i + recordSize <= raw.count {
                let inode = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if inode != 0 && found[inode] == nil { found[inode] = found.count }
                i += recordSize
            }
        }
        return found
    }
}
