import SockdiagCore

extension TraceListener {
    /// The listener a connection to `destination` reached right now, and the process holding it,
    /// read as bind-check reads them (NETLINK_SOCK_DIAG, then the fd tables under /proc). nil when
    /// nothing listens there any more, or the sockets cannot be read.
    public static func lookUp(_ destination: SocketAddress) -> TraceListener? {
        guard let sockets = try? BindCheckNetlink.dump(.tcp, filter: .port(destination.port), listeningOnly: true) else { return nil }
        let device = BindCheckKernel.arrivingDevice(of: destination.address,
                                                    addressDevices: BindCheckSystemReader.localAddressesWithDevices().2)
        let defaultV6only = SystemFile.readValue("/proc/sys/net/ipv6/bindv6only") == "1"
        guard let socket = receiver(of: destination, among: sockets, arrivingOn: device, defaultV6only: defaultV6only) else { return nil }
        let pid = BindCheckOwnerScan.find([socket.inode]).pids[socket.inode]?.min()
        return TraceListener(local: socket.local, pid: pid, comm: pid.flatMap { ProcessIdentity.read(pid: $0)?.comm })
    }
}
