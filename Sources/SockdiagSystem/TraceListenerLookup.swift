import SockdiagCore

extension TraceListener {
    /// The listener a connection to `destination` reached right now, and every listener on its
    /// port with the process holding it (a split port shows as several programs), read as
    /// bind-check reads them (NETLINK_SOCK_DIAG, then the fd tables under /proc). nil when the
    /// sockets cannot be read; `reached` is nil when nothing listens there any more.
    public static func lookUp(_ destination: SocketAddress) -> (reached: TraceListener?, onPort: [TraceListener])? {
        guard let sockets = try? BindCheckNetlink.dump(.tcp, filter: .port(destination.port), listeningOnly: true) else { return nil }
        let device = BindCheckKernel.arrivingDevice(of: destination.address,
                                                    addressDevices: BindCheckSystemReader.localAddressesWithDevices().2)
        let defaultV6only = SystemFile.readValue("/proc/sys/net/ipv6/bindv6only") == "1"
        let receiver = receiver(of: destination, among: sockets, arrivingOn: device, defaultV6only: defaultV6only)
        let pids = BindCheckOwnerScan.find(Set(sockets.map(\.inode))).pids
        var comms: [Int32: String] = [:]
        func listener(_ socket: BindCheckSocket) -> TraceListener {
            let pid = pids[socket.inode]?.min()
            if let pid, comms[pid] == nil { comms[pid] = ProcessIdentity.read(pid: pid)?.comm }
            return TraceListener(local: socket.local, pid: pid, comm: pid.flatMap { comms[$0] })
        }
        return (receiver.map(listener), sockets.map(listener))
    }
}
