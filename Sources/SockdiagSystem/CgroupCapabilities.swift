import SockdiagCore

/// The capabilities attaching eBPF programs to a cgroup needs, read from /proc/self/status.
public enum CgroupBPFCapabilities {
    static let netAdmin = 12
    static let sysAdmin = 21
    static let bpf = 39

    /// nil when loading and attaching can work, else what is missing, in words.
    public static func missing(statusPath: String = "/proc/self/status") -> String? {
        guard let effective = effectiveSet(statusPath) else { return nil }
        func has(_ bit: Int) -> Bool { effective & (1 << UInt64(bit)) != 0 }
        var lacking: [String] = []
        if !has(bpf) && !has(sysAdmin) { lacking.append("CAP_BPF") }
        if !has(netAdmin) { lacking.append("CAP_NET_ADMIN") }
        if !has(sysAdmin) && !Privileges.isRoot { lacking.append("CAP_SYS_ADMIN (to create cgroups)") }
        return lacking.isEmpty ? nil : lacking.joined(separator: ", ")
    }

    static func effectiveSet(_ path: String) -> UInt64? {
        guard let text = SystemFile.readString(path) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(String(line.dropFirst("CapEff:".count)).trimmingCharacters(in: [" ", "\t"]), radix: 16)
        }
        return nil
    }
}
