#if canImport(Glibc)
import Glibc
#endif

/// The wall clock (CLOCK_REALTIME) and the local time zone, beside `monotonicNs()`.
public enum WallClock {
    /// Nanoseconds since the epoch.
    public static var nowNs: UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// What to add to a CLOCK_MONOTONIC time (the kernel's BPF timestamps) for a wall-clock
    /// time: the realtime reading taken between two monotonic ones.
    public static func monotonicToRealtimeNs() -> Int64 {
        var realtime = timespec(), monotonic = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        clock_gettime(CLOCK_REALTIME, &realtime)
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        func ns(_ t: timespec) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec) }
        return ns(realtime) - ns(monotonic)
    }

    /// The local time zone's offset from UTC now, in seconds (east of Greenwich positive).
    public static var utcOffsetSeconds: Int {
        var now = time(nil)
        var local = tm()
        localtime_r(&now, &local)
        return local.tm_gmtoff
    }
}
