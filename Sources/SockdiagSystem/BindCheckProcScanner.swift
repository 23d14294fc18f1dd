#if canImport(Glibc)
import Glibc
#endif
import SockdiagCore

/// The /proc/net/{tcp,tcp6,udp,udp6} scan: always available, slower than netlink, and blind to
/// IPV6_V6ONLY. Reads this thread's view, so it follows a setns() into another namespace.
public enum BindCheckProcScanner {
    public static func scan(_ transport: TransportProtocol, filter: BindCheckPortFilter,
                            procNet: String = "/proc/thread-self/net") throws(SockdiagError) -> [BindCheckSocket] {
        var sockets: [BindCheckSocket] = []
        for family in AddressFamily.allCases {
            let path = "\(procNet)/\(transport.rawValue)\(family == .inet6 ? "6" : "")"
            let bytes: [UInt8]
            switch SystemFile.readBytes(path) {
            case let .success(b): bytes = b
            case let .failure(e):
                // No tcp6 file means a kernel without IPv6: nothing to list for that family.
                if e == .noSuchFileOrDirectory && family == .inet6 { continue }
                throw .system(call: "open", errno: e, context: path)
            }
            let parsed = bytes.withUnsafeBufferPointer {
                BindCheckProcNet.parse($0, family: family, transport: transport, filter: filter)
            }
            sockets += parsed.sockets
        }
        // A socket that moves in the hash table while the file is read can appear twice.
        var seen: Set<BindCheckSocket> = []
        var unique = sockets.filter { seen.insert($0).inserted }
        for i in unique.indices { unique[i].walkOrder = i }
        return unique
    }
}

/// The sysctls and local addresses of the current network namespace.
public enum BindCheckSystemReader {
    public static func read() -> BindCheckSystem {
        let bindv6only = SystemFile.readValue("/proc/sys/net/ipv6/bindv6only") == "1"
        let disable = SystemFile.readValue("/proc/sys/net/ipv6/conf/all/disable_ipv6")
        let disableOnLoopback = SystemFile.readValue("/proc/sys/net/ipv6/conf/lo/disable_ipv6") == "1"
        let range = SystemFile.readValue("/proc/sys/net/ipv4/ip_local_port_range").flatMap(BindCheckSystem.parsePortRange)
        let reserved = SystemFile.readValue("/proc/sys/net/ipv4/ip_local_reserved_ports") ?? ""
        let unprivileged = SystemFile.readValue("/proc/sys/net/ipv4/ip_unprivileged_port_start").flatMap { Int($0) }
        let (v4, v6, devices) = localAddressesWithDevices()
        var system = BindCheckSystem(bindv6only: bindv6only, ipv6Disabled: disable == nil || disable == "1",
                                     ipv4Addresses: v4, ipv6Addresses: v6, ephemeralRange: range,
                                     reservedPorts: reserved, unprivilegedPortStart: unprivileged, kernel: kernelRelease(),
                                     ipv6DisabledOnLoopback: disableOnLoopback)
        system.addressDevices = devices
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        system.cpus = online > 0 ? online : nil
        return system
    }

    /// if_nametoindex and if_indextoname, in this thread's network namespace.
    public static let interfaces = BindCheckInterfaces(index: NetworkInterface.index(named:), name: NetworkInterface.name(ofIndex:))

    static func kernelRelease() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "" }
        return withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// Addresses configured on the interfaces, from getifaddrs (netlink RTM_GETADDR underneath).
    public static func localAddresses() -> ([IPv4Address], [IPv6Address]) {
        let (v4, v6, _) = localAddressesWithDevices()
        return (v4, v6)
    }

    /// The same, with the interface that holds each address.
    public static func localAddressesWithDevices() -> ([IPv4Address], [IPv6Address], [IPAddress: String]) {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return ([], [], [:]) }
        defer { freeifaddrs(first) }
        var v4: [IPv4Address] = [], v6: [IPv6Address] = []
        var devices: [IPAddress: String] = [:]
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let sa = entry.pointee.ifa_addr else { continue }
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                let sin = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in.self).pointee
                let a = IPv4Address(UInt32(bigEndian: sin.sin_addr.s_addr))
                if !v4.contains(a) { v4.append(a) }
                if let name = entry.pointee.ifa_name { devices[.v4(a)] = String(cString: name) }
            case AF_INET6:
                let sin6 = UnsafeRawPointer(sa).assumingMemoryBound(to: sockaddr_in6.self).pointee
                let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
                let name = entry.pointee.ifa_name.map { String(cString: $0) }
                let linkLocal = bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80
                let a = IPv6Address(networkBytes: bytes, zone: linkLocal ? name : nil)
                if !v6.contains(a) { v6.append(a) }
                if let name { devices[.v6(a)] = name }
            default:
                break
            }
        }
        return (v4, v6, devices)
    }
}

/// `--netns NAME|PATH`: moves this (single-threaded) process into another network namespace.
public enum BindCheckNamespace {
    public static func path(for nameOrPath: String) -> String {
        nameOrPath.contains("/") ? nameOrPath : "/run/netns/\(nameOrPath)"
    }

    static let cloneNewNet: Int32 = 0x4000_0000

    /// Glibc declares setns() only under _GNU_SOURCE, which the Swift Glibc module does not set.
    static let setnsFunction: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    /// The network namespace this process is in, as `ls -l /proc/self/ns/net` names it: `net:[4026531840]`.
    public static func currentLabel() -> String {
        currentInode().map { "net:[\($0)]" } ?? "net:[?]"
    }

    /// The nsfs inode of the calling thread's network namespace (a thread may have entered
    /// another with --netns); nil when /proc cannot say.
    public static func currentInode() -> UInt64? {
        var info = stat()
        guard stat("/proc/thread-self/ns/net", &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    public static func enter(_ nameOrPath: String) throws(SockdiagError) {
        // An empty name would become the directory /run/netns/ itself.
        guard !nameOrPath.isEmpty else { throw .invalidInput("--netns needs a namespace name or path") }
        let path = path(for: nameOrPath)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = Errno(errno)
            if e == .noSuchFileOrDirectory {
                throw .invalidInput(nameOrPath.contains("/") ? "no network namespace at '\(path)'"
                                    : "no network namespace named '\(nameOrPath)' (no \(path); 'ip netns list' shows the names)")
            }
            // Another user's /proc/PID/ns/net cannot even be opened without privileges.
            if e == .permissionDenied || e == .notPermitted {
                throw .missingPrivilege("entering network namespace \(path) needs root (CAP_SYS_ADMIN): cannot open it (\(e.name))")
            }
            throw .system(call: "open", errno: e, context: "network namespace \(path)")
        }
        defer { close(fd) }
        guard let setns = setnsFunction else {
            throw .system(call: "dlsym", errno: .noSuchFileOrDirectory, context: "setns is missing from the C library")
        }
        guard setns(fd, cloneNewNet) == 0 else {
            let e = Errno(errno)
            if e == .invalidArgument { throw .invalidInput("'\(path)' is not a network namespace") }
            if e == .notPermitted { throw .missingPrivilege("entering network namespace \(path) needs root (CAP_SYS_ADMIN)") }
            throw .system(call: "setns", errno: e, context: path)
        }
    }
}
