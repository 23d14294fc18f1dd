internal import CLibBPF
import SockdiagCore

/// The BPF objects compiled from bpf/ at build time and carried inside the binary.
public enum EmbeddedPrograms {
    /// bpf/trace.bpf.c: connect/sendmsg/bind hooks and the egress family check.
    public static var trace: [UInt8] { decode(EmbeddedBPFObjects.traceBase64) }
    /// bpf/outcome.bpf.c: how each connect ended (connect hooks, tracepoints), into the trace's ring.
    public static var outcome: [UInt8] { decode(EmbeddedBPFObjects.outcomeBase64) }
    /// bpf/policy.bpf.c: --redirect and --block-ipv6 (and their --naive forms).
    public static var policy: [UInt8] { decode(EmbeddedBPFObjects.policyBase64) }
    /// bpf/sockopts.bpf.c: every open socket's holders and options (bind-check), an iterator.
    static var sockopts: [UInt8] { decode(EmbeddedBPFObjects.sockoptsBase64) }
    /// bpf/socket_snapshot.bpf.c: a cgroup's sockets at the start of a run, an iterator.
    static var socketSnapshot: [UInt8] { decode(EmbeddedBPFObjects.socketSnapshotBase64) }
    /// bpf/udp_chains.bpf.c: the UDP sockets in the datagram lookup's chain order, an iterator.
    static var udpChains: [UInt8] { decode(EmbeddedBPFObjects.udpChainsBase64) }

    static func decode(_ base64: String) -> [UInt8] {
        guard let bytes = Base64.decode(base64) else {
            preconditionFailure("the embedded BPF object is not valid base64; the build is broken")
        }
        return bytes
    }
}

/// What `sockdiag --version` says about the BPF side: which objects are inside, and the libbpf this
/// binary was built with beside the one it runs with.
public enum BPFBuildInfo {
    /// SHA-256 of the embedded objects, concatenated in the order `objectNames` lists them.
    public static var buildID: String { EmbeddedBPFObjects.buildID }
    public static var objectNames: String { EmbeddedBPFObjects.objectNames }
    /// `pkg-config --modversion` at build time.
    public static var libbpfBuildVersion: String { EmbeddedBPFObjects.libbpfBuildVersion }
    public static var libpcapBuildVersion: String { EmbeddedBPFObjects.libpcapBuildVersion }
    /// The libbpf loaded now (`libbpf_version_string()`, such as `v1.1`).
    public static var libbpfRuntimeVersion: String { String(cString: libbpf_version_string()) }
}
