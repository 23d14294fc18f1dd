import SockdiagCore
import SockdiagSystem

/// Interface names for the indexes a live capture's Linux cooked v2 records carry.
public enum InterfaceNames {
    public static func of(_ table: WireFlowTable) -> [UInt32: String] {
        var names: [UInt32: String] = [:]
        for flow in table.flows {
            for index in flow.interfaces.indexes where names[index] == nil {
                if let name = NetworkInterface.name(ofIndex: index) { names[index] = name }
            }
        }
        return names
    }
}
