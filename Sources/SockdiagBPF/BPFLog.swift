internal import CLibBPF
import SockdiagCore

/// libbpf's own diagnostics are multi-line verifier dumps; sockdiag reports one line instead.
enum BPFLog {
    static func silence() { _ = libbpf_set_print(nil) }

    static func loadError(_ error: Errno, what: String) -> SockdiagError {
        if error == .notPermitted {
            return .missingPrivilege("loading eBPF programs needs root (CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON)")
        }
        return .system(call: "bpf_object__load", errno: error, context: "loading the \(what) programs (kernel 5.14 or newer with cgroup v2 BPF hooks and BTF is needed)")
    }
}
