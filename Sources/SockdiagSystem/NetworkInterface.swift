#if canImport(Glibc)
import Glibc
#endif

/// Interface names and indexes (if_nametoindex, if_indextoname), in this thread's network
/// namespace.
public enum NetworkInterface {
    /// nil when no interface has the name.
    public static func index(named name: String) -> UInt32? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : index
    }

    /// nil when no interface has the index.
    public static func name(ofIndex index: UInt32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        return if_indextoname(index, &buffer) == nil ? nil : String(cString: buffer)
    }
}
