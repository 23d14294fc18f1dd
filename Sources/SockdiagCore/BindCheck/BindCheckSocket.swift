/// A socket's TCP state as the kernel numbers it (`include/net/tcp_states.h`); UDP sockets use
/// `established` when connected and `close` when not. A TCP socket in `close` that a dump lists
/// is bound but neither listening nor connected: sock_diag lists those (TCP_BOUND_INACTIVE,
/// `ss --bound-inactive`) since Linux 6.7, /proc/net never.
public enum BindCheckSocketState: UInt8, Hashable, Sendable, CaseIterable {
    case established = 1
    case synSent = 2
    case synReceived = 3
    case finWait1 = 4
    case finWait2 = 5
    case timeWait = 6
    case close = 7
    case closeWait = 8
    case lastAck = 9
    case listen = 10
    case closing = 11
    case newSynReceived = 12

    /// The name `ss` prints (`UNCONN` for an unconnected UDP socket).
    public func name(for transport: TransportProtocol) -> String {
        switch self {
        case .established: return "ESTAB"
        case .synSent: return "SYN-SENT"
        case .synReceived: return "SYN-RECV"
        case .finWait1: return "FIN-WAIT-1"
        case .finWait2: return "FIN-WAIT-2"
        case .timeWait: return "TIME-WAIT"
        case .close: return transport == .udp ? "UNCONN" : "BOUND-INACTIVE"
        case .closeWait: return "CLOSE-WAIT"
        case .lastAck: return "LAST-ACK"
        case .listen: return "LISTEN"
        case .closing: return "CLOSING"
        case .newSynReceived: return "NEW-SYN-RECV"
        }
    }
}

/// A process holding a socket.
public typealias BindCheckOwner = ProcessIdentity

/// What is known about who holds a socket.
public enum BindCheckOwnership: Hashable, Sendable {
    /// The processes whose file tables hold the socket (several after fork or fd passing).
    case owners([BindCheckOwner])
    /// No process holds it: TIME-WAIT and request sockets belong to the kernel alone.
    case kernel
    /// Some processes could not be inspected (another user's, without root), so its owner is unknown.
    case hidden
    /// Every visible process was inspected and none holds it (its owner lives outside this pid
    /// namespace, or closed it meanwhile).
    case notFound
    /// Owners were not looked up.
    case notLooked

    public var owners: [BindCheckOwner] {
        if case let .owners(list) = self { return list }
        return []
    }
}

/// The socket options that decide binds and lookups but that netlink cannot show, read by a BPF
/// socket iterator.
public struct BindCheckSocketOptions: Hashable, Sendable {
    public let reuseaddr: Bool
    public let reuseport: Bool
    public let v6only: Bool
    /// SO_BINDTODEVICE's interface index, 0 when unbound.
    public let boundDeviceIndex: Int32
    public let boundDevice: String?
    /// A TCP socket's port bind bucket (its fast-reuse marks), nil for UDP or when unread.
    public let bindBucket: BindCheckBindBucket?
    /// `sk_incoming_cpu`: the CPU that last handled a packet for it (a connected socket's, or
    /// SO_INCOMING_CPU's), which the lookup favours on that CPU; nil when none (-1).
    public let incomingCPU: Int?

    public init(reuseaddr: Bool, reuseport: Bool, v6only: Bool, boundDeviceIndex: Int32, boundDevice: String?,
                bindBucket: BindCheckBindBucket? = nil, incomingCPU: Int? = nil) {
        self.bindBucket = bindBucket
        self.incomingCPU = incomingCPU
        self.reuseaddr = reuseaddr
        self.reuseport = reuseport
        self.v6only = v6only
        self.boundDeviceIndex = boundDeviceIndex
        self.boundDevice = boundDevice
    }
}

/// One socket already on the port, from /proc/net or NETLINK_SOCK_DIAG.
public struct BindCheckSocket: Hashable, Sendable {
    public var family: AddressFamily
    public var transport: TransportProtocol
    public var state: BindCheckSocketState
    public var local: SocketAddress
    public var remote: SocketAddress
    /// IPV6_V6ONLY of an AF_INET6 socket; nil for AF_INET, and for AF_INET6 when the source cannot
    /// tell (/proc/net does not show it).
    public var v6only: Bool?
    public var uid: UInt32
    public var inode: UInt64
    public var ownership: BindCheckOwnership
    /// nil where no BPF socket iterator could read them.
    public var options: BindCheckSocketOptions?
    /// Its place in the kernel's own walk (the sock_diag dump, or /proc): for TCP listeners the
    /// listening hash chain's order, which is the lookup's; for UDP the port-only chain's, newest
    /// first, one family after the other, which is the bind conflict check's (BindCheckKernel).
    /// nil when unknown.
    public var walkOrder: Int?
    /// A UDP socket's place in its lookup chain (address and port, `udptable->hash2`) as the
    /// kernel walks it (a BPF iter/udp pass): smaller is nearer the head, comparable within one
    /// chain. nil when unread, and for TCP, whose dump already walks the lookup chains.
    public var lookupChainPosition: Int?
    /// The device it is bound to (SO_BINDTODEVICE) as the sock_diag dump gives it (`idiag_if`),
    /// for sockets whose options no BPF iterator read; nil when unbound or unknown.
    public var dumpedDevice: String?

    /// The bound device from either source: the lookup scores it (BindCheckKernel.score).
    public var boundDevice: String? { options?.boundDevice ?? dumpedDevice }

    public init(family: AddressFamily, transport: TransportProtocol, state: BindCheckSocketState,
                local: SocketAddress, remote: SocketAddress, v6only: Bool?, uid: UInt32, inode: UInt64,
                ownership: BindCheckOwnership = .notLooked, options: BindCheckSocketOptions? = nil) {
        self.options = options
        self.family = family
        self.transport = transport
        self.state = state
        self.local = local
        self.remote = remote
        self.v6only = v6only
        self.uid = uid
        self.inode = inode
        self.ownership = ownership
    }

    /// The socket as the bind and lookup rules see it.
    public var binding: BindCheckBinding {
        BindCheckBinding(family: family, address: local.address, v6only: v6only)
    }

    /// Whether new clients can reach it: a TCP listener, or an unconnected UDP socket.
    public var acceptsNewClients: Bool {
        switch transport {
        case .tcp: return state == .listen
        case .udp: return remote.address.isUnspecified && remote.port.value == 0
        }
    }

    /// `python3 (pid 4242)`, `python3 (pid 1), sh (pid 2)`, or why there is none.
    public var ownerLabel: String {
        switch ownership {
        case let .owners(list) where !list.isEmpty: return list.map(\.label).joined(separator: ", ")
        case .owners, .kernel: return "kernel (no process)"
        case .hidden: return "unknown (not visible without root)"
        case .notFound: return "no visible process"
        case .notLooked: return "-"
        }
    }
}

/// The address part of a bound socket that Linux's bind and lookup rules look at. An AF_INET6
/// socket bound to a specific non-mapped address is always V6ONLY (the kernel sets it in bind).
public struct BindCheckBinding: Hashable, Sendable {
    public let family: AddressFamily
    public let address: IPAddress
    /// nil only when unknown (an AF_INET6 socket read from /proc).
    public let v6only: Bool?

    public init(family: AddressFamily, address: IPAddress, v6only: Bool?) {
        self.family = family
        self.address = address
        if family == .inet {
            self.v6only = false
        } else if case let .v6(a) = address, !a.isIPv4Mapped, !address.isUnspecified {
            self.v6only = true
        } else {
            self.v6only = v6only
        }
    }

    /// The IPv4 address this binding covers: its own for AF_INET, the embedded one for a mapped
    /// AF_INET6 address, 0.0.0.0 for a dual-stack `[::]`; nil when it takes no IPv4 at all.
    public var ipv4Side: IPv4Address? {
        switch address {
        case let .v4(a): return a
        case let .v6(a):
            if v6only == true { return nil }
            if let mapped = a.unmapped { return mapped }
            return address.isUnspecified ? .any : nil
        }
    }

    public var isWildcard: Bool { address.isUnspecified || ipv4Side == .any && family == .inet }

    /// `[::]`, `127.0.0.1`, `[::ffff:127.0.0.1]`.
    public var addressText: String {
        switch address {
        case let .v4(a): return a.description
        case let .v6(a): return "[\(a.withoutZone)]"
        }
    }
}
