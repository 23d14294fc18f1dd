#if canImport(Glibc)
import Glibc
#endif
import CSockdiagShim

/// The scheduling priority of the calling thread, lowered while a reader has slack and raised again
/// when it falls behind: on a small machine the reader of a trace competes for the same CPUs as the
/// programs it traces, and a reader that yields while its buffer has room costs them nothing.
/// Only this thread changes: programs it started earlier keep their own priority.
public struct ReaderPriority: ~Copyable {
    /// The nice value while yielding (the weakest a thread can have).
    static let yieldingNice: Int32 = 19

    private let thread = pid_t(sockdiag_thread_id())
    private let normalNice: Int32
    /// False where the thread could not go back to its priority (no CAP_SYS_NICE, RLIMIT_NICE):
    /// then it never yields, so it can never be stuck behind the programs it reads.
    private let canYield: Bool
    public private(set) var isYielding = false

    /// With `yielding` false the priority never changes: a thread that also drains a packet
    /// capture (compare-wire) must keep up with the wire, not only with the ring.
    public init(yielding: Bool) {
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(thread))
        normalNice = errno == 0 ? current : 0
        canYield = yielding && Self.mayRaise(backTo: normalNice)
    }

    /// Whether this thread may lower its nice value again: CAP_SYS_NICE, or an RLIMIT_NICE that
    /// reaches `nice` (its ceiling is 20 - limit). Asked before yielding, never found out after.
    static func mayRaise(backTo nice: Int32) -> Bool {
        let sysNice = 23
        if let effective = CgroupBPFCapabilities.effectiveSet("/proc/self/status"), effective & (1 << UInt64(sysNice)) != 0 {
            return true
        }
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_NICE.rawValue), &limit) == 0 else { return false }
        return limit.rlim_cur == rlim_t.max || 20 - Int64(limit.rlim_cur) <= Int64(nice)
    }

    /// Yields while `pending` is at most an eighth of `capacity`, competes again once it passes
    /// half, and keeps its state in between.
    public mutating func adjust(pending: Int, capacity: Int) {
        if isYielding, pending > capacity / 2 {
            set(nice: normalNice)
            isYielding = false
        } else if !isYielding, canYield, pending <= capacity / 8 {
            set(nice: Self.yieldingNice)
            isYielding = true
        }
    }

    private func set(nice: Int32) {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(thread), nice)
    }

    deinit {
        if isYielding { set(nice: normalNice) }
    }
}
