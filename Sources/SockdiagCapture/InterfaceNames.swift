#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// Interface names for the indexes a live capture's Linux cooked v2 records carry.
public enum InterfaceNames {
    public static func of(_ table: WireFlowTable) -> [UInt32: String] {
        var names: [UInt32: String] = [:]
        for flow in table.flows {
            for index in flow.interfaces.indexes where names[index] == nil {
                var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
                if if_indextoname(index, &buffer) != nil { names[index] = String(cString: buffer) }
            }
        }
        return names
    }
}
