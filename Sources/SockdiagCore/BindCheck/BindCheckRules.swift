/// Linux's rules for whether two bound sockets claim the same local address
/// (`inet_rcv_saddr_equal` in net/ipv4/inet_connection_sock.c), and whether a new bind
/// conflicts with an existing socket (`inet_bind_conflict` for TCP, `udp_lib_lport_inuse` for UDP).
public enum BindCheckRules {
    /// Whether `new` and `existing` claim a common address on the same port, with both wildcards
    /// matching (as bind() checks them). Both V6ONLY values must be known.
    public static func overlaps(_ new: BindCheckBinding, _ existing: BindCheckBinding) -> Bool {
        let newV6only = new.v6only ?? false, oldV6only = existing.v6only ?? false
        if case let .v4(a) = new.address {
            if oldV6only { return false }
            guard let b = existing.kernelIPv4Address else { return false }
            return a == b || a == .any || b == .any
        }
        guard case let .v6(a) = new.address else { return false }
        let newType = AddressType(a)
        let oldType: AddressType
        switch existing.address {
        case .v4: oldType = .mapped
        case let .v6(b): oldType = AddressType(b)
        }
        if newType == .mapped && oldType == .mapped {
            guard !oldV6only, let b = existing.kernelIPv4Address else { return false }
            let mapped = a.low32
            return mapped == b || mapped == .any || b == .any
        }
        if newType == .any && oldType == .any { return true }
        if oldType == .any && !(oldV6only && newType == .mapped) { return true }
        if newType == .any && !(newV6only && oldType == .mapped) { return true }
        if case let .v6(b) = existing.address, a.withoutZone == b.withoutZone { return true }
        return false
    }

    /// One sentence saying why two overlapping bindings claim the same address.
    public static func overlapReason(_ new: BindCheckBinding, _ existing: BindCheckBinding, port: Port) -> String {
        // Spelled out only where a sentence names them: a busy port's trials ask this of every
        // socket on it, and most answers name neither.
        var old: String { existing.addressText + ":\(port)" }
        var mine: String { new.addressText + ":\(port)" }
        if new.address == existing.address || new.address.unmapped == existing.address.unmapped {
            if new.address.isUnspecified && new.family == .inet6 && existing.family == .inet6 && new.v6only != existing.v6only {
                return "both are \(mine); two IPv6 wildcards overlap whatever their IPV6_V6ONLY"
            }
            return "both claim \(SocketAddress(new.address.unmapped, port))"
        }
        if new.address.isUnspecified {
            if new.family == .inet6 && (existing.family == .inet || existing.address.unmapped.family == .inet) {
                return "a dual-stack \(mine) (IPV6_V6ONLY=0) also claims every IPv4 address on port \(port), and \(old) holds one of them"
            }
            if new.family == .inet, let held = existing.ipv4Side {
                if held == .any { return "\(old) is dual-stack (IPV6_V6ONLY=0), so it claims every IPv4 address on port \(port), as \(mine) does" }
                return "\(mine) claims every IPv4 address, including \(held)" + (existing.family == .inet6 ? " (held as \(old))" : "")
            }
            return "\(mine) claims every \(new.family == .inet ? "IPv4" : "IPv6") address, including \(existing.addressText)"
        }
        if existing.address.isUnspecified {
            if existing.family == .inet6 && new.address.unmapped.family == .inet {
                return "\(old) is dual-stack (IPV6_V6ONLY=0), so it already claims every IPv4 address on port \(port)"
            }
            return "\(old) already claims every \(existing.family == .inet ? "IPv4" : "IPv6") address, including \(new.addressText)"
        }
        return "\(mine) and \(old) claim the same address"
    }

    /// Whether binding (and, for TCP, listening on) `trial` conflicts with `existing`, given what
    /// is known of the existing socket (its SO_REUSEADDR and SO_REUSEPORT only when a BPF socket
    /// iterator read them). The trial binds no device, so a device-bound socket still collides.
    /// `defaultV6only` stands in for an AF_INET6 socket's unknown IPV6_V6ONLY.
    public static func conflict(of trial: BindCheckTrialRequest, with existing: BindCheckSocket,
                                trialUID: UInt32, defaultV6only: Bool) -> BindCheckConflict? {
        let new = trial.binding
        guard existing.local.port == trial.port || trial.port.value == 0 else { return nil }
        let old = existing.binding
        var assumption: String?
        if old.v6only == nil {
            let dual = overlaps(new, BindCheckBinding(family: old.family, address: old.address, v6only: false))
            let only = overlaps(new, BindCheckBinding(family: old.family, address: old.address, v6only: true))
            if !dual && !only { return nil }
            if dual != only { assumption = "if it is dual-stack (IPV6_V6ONLY=0; /proc does not show it)" }
        } else if !overlaps(new, old) {
            return nil
        }
        let resolvedOld = BindCheckBinding(family: old.family, address: old.address, v6only: old.v6only ?? false)
        var why = overlapReason(new, resolvedOld, port: existing.local.port)
        if let assumption { why += " " + assumption }
        let sameUID = existing.uid == trialUID || existing.state == .timeWait
        var escape: BindCheckConflict.Escape?
        let reuseaddrCanShare = trial.reuseaddr && (trial.transport == .udp || existing.state != .listen)
        if trial.reuseaddr && trial.transport == .tcp && existing.state == .listen && !trial.reuseport {
            why += "; SO_REUSEADDR never lets two TCP sockets listen on one address"
        } else if reuseaddrCanShare {
            escape = .reuseaddr
        }
        if trial.reuseport {
            if sameUID {
                escape = .reuseport
            } else {
                why += "; SO_REUSEPORT shares only between sockets of one uid (it is uid \(existing.uid), the trial ran as uid \(trialUID))"
            }
        }
        if !trial.reuseaddr && !trial.reuseport {
            why += "; without SO_REUSEADDR or SO_REUSEPORT nothing is shared"
        }
        // With the existing socket's flags read (BPF socket iterator), the flag decides it.
        if let escape, let options = existing.options {
            let set = escape == .reuseaddr ? options.reuseaddr : options.reuseport
            if set { return nil }
            why += "; it did not set \(escape.rawValue)"
            return BindCheckConflict(inode: existing.inode, why: why, escape: nil, certain: assumption == nil)
        }
        return BindCheckConflict(inode: existing.inode, why: why, escape: escape,
                                 certain: escape == nil && assumption == nil)
    }
}

/// A predicted conflict with one existing socket.
public struct BindCheckConflict: Hashable, Sendable {
    /// The flag the existing socket would need for the two to share the port.
    public enum Escape: String, Hashable, Sendable {
        case reuseaddr = "SO_REUSEADDR"
        case reuseport = "SO_REUSEPORT"
    }

    public let inode: UInt64
    public var why: String
    /// Set when the conflict depends on a flag of the existing socket that cannot be read.
    public let escape: Escape?
    /// True when nothing unknown could avoid the conflict.
    public let certain: Bool
}

enum AddressType: Equatable {
    case any, mapped, other
    init(_ address: IPv6Address) {
        if address.high == 0 && address.low == 0 { self = .any }
        else if address.isIPv4Mapped { self = .mapped }
        else { self = .other }
    }
}

extension BindCheckBinding {
    /// `sk_rcv_saddr`: the IPv4 address the kernel compares for AF_INET rules. An AF_INET6
    /// socket has the mapped address, 0.0.0.0 for `[::]`, or 127.0.0.6 (never matched) otherwise.
    var kernelIPv4Address: IPv4Address? {
        switch address {
        case let .v4(a): return a
        case let .v6(a):
            if let mapped = a.unmapped { return mapped }
            return address.isUnspecified ? .any : IPv4Address(127, 0, 0, 6)
        }
    }
}
