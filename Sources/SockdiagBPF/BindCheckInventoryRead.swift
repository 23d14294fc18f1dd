import SockdiagCore
import SockdiagSystem

extension BindCheckInventory {
    /// What the BPF iterators tell bind-check: owners and options of every socket (one pass over
    /// every task's files), and for UDP the lookup chains' order in the calling thread's network
    /// namespace. nil when iterators cannot be used here. `port`: only sockets on it (nil: all).
    public static func read(port: UInt16?, transport: TransportProtocol) -> BindCheckInventory? {
        guard let found = SockoptIterator.inventory(port: port) else { return nil }
        return BindCheckInventory(owners: found.owners(of:), options: found.options(of:), boundInactive: found.boundInactive(port:netns:),
                                  udpLookupChains: transport == .udp ? UDPLookupChains.positions(port: port) : nil)
    }
}
