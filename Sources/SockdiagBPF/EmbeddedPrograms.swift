import SockdiagCore

/// The BPF objects compiled from bpf/ at build time and carried inside the binary.
public enum EmbeddedPrograms {
    /// bpf/trace.bpf.c: connect/sendmsg/bind hooks and the egress family check.
    public static var trace: [UInt8] { decode(EmbeddedBPFObjects.traceBase64) }
    /// bpf/policy.bpf.c: --redirect and --block-ipv6 (and their --naive forms).
    public static var policy: [UInt8] { decode(EmbeddedBPFObjects.policyBase64) }

    static func decode(_ base64: String) -> [UInt8] {
        guard let bytes = Base64.decode(base64) else {
            preconditionFailure("the embedded BPF object is not valid base64; the build is broken")
        }
        return bytes
    }
}
