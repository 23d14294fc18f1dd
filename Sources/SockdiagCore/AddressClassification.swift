/// What kind of address the kernel was handed: the question at the heart of every dual-stack
/// surprise (an AF_INET6 socket given `::ffff:1.1.1.1` talks IPv4 on the wire).
public enum AddressKind: String, Hashable, Sendable, CaseIterable {
    case ipv4
    case ipv6
    /// `::ffff:0:0/96`: an IPv4 peer of a dual-stack AF_INET6 socket; IPv4 on the wire.
    case ipv4Mapped = "ipv4-mapped"
    /// `::/96` (deprecated by RFC 4291): never sent as IPv4 by Linux.
    case ipv4Compatible = "ipv4-compatible"
    /// `64:ff9b::/96` and `64:ff9b:1::/48`: IPv6 on this host, IPv4 after a NAT64 gateway.
    case nat64
    /// `2002::/16`: IPv6 tunnelled in IPv4 by 6to4 relays.
    case sixToFour = "6to4"
    /// `2001::/32`: IPv6 tunnelled in UDP/IPv4.
    case teredo

    /// The raw value as fixed text, for per-row writers.
    public var name: StaticString {
        switch self {
        case .ipv4: return "ipv4"
        case .ipv6: return "ipv6"
        case .ipv4Mapped: return "ipv4-mapped"
        case .ipv4Compatible: return "ipv4-compatible"
        case .nat64: return "nat64"
        case .sixToFour: return "6to4"
        case .teredo: return "teredo"
        }
    }
}

/// Where an address reaches.
public enum AddressScope: String, Hashable, Sendable, CaseIterable {
    case unspecified
    case loopback
    case linkLocal = "link-local"
    case `private`
    case sharedAddressSpace = "shared"
    case uniqueLocal = "unique-local"
    case multicast
    case broadcast
    case documentation
    case reserved
    case global
}

public struct AddressClassification: Hashable, Sendable {
    public let kind: AddressKind
    public let scope: AddressScope
    /// The IPv4 address carried inside an IPv6 one (mapped, compatible, NAT64, 6to4, Teredo client).
    public let embeddedIPv4: IPv4Address?

    public init(kind: AddressKind, scope: AddressScope, embeddedIPv4: IPv4Address? = nil) {
        self.kind = kind
        self.scope = scope
        self.embeddedIPv4 = embeddedIPv4
    }

    /// True when traffic to this address leaves the host as IPv4 packets although the socket may
    /// be AF_INET6.
    public var travelsAsIPv4: Bool { kind == .ipv4 || kind == .ipv4Mapped }
}

extension IPv4Address {
    public var scope: AddressScope {
        switch self {
        case _ where value == 0: return .unspecified
        case _ where value == 0xFFFF_FFFF: return .broadcast
        case _ where isIn(IPv4Address(127, 0, 0, 0), length: 8): return .loopback
        case _ where isIn(IPv4Address(10, 0, 0, 0), length: 8),
             _ where isIn(IPv4Address(172, 16, 0, 0), length: 12),
             _ where isIn(IPv4Address(192, 168, 0, 0), length: 16): return .private
        case _ where isIn(IPv4Address(100, 64, 0, 0), length: 10): return .sharedAddressSpace
        case _ where isIn(IPv4Address(169, 254, 0, 0), length: 16): return .linkLocal
        case _ where isIn(IPv4Address(224, 0, 0, 0), length: 4): return .multicast
        case _ where isIn(IPv4Address(192, 0, 2, 0), length: 24),
             _ where isIn(IPv4Address(198, 51, 100, 0), length: 24),
             _ where isIn(IPv4Address(203, 0, 113, 0), length: 24): return .documentation
        // IETF protocol assignments, benchmarking (RFC 6890), "this network", future use.
        case _ where isIn(IPv4Address(0, 0, 0, 0), length: 8),
             _ where isIn(IPv4Address(192, 0, 0, 0), length: 24),
             _ where isIn(IPv4Address(198, 18, 0, 0), length: 15),
             _ where isIn(IPv4Address(240, 0, 0, 0), length: 4): return .reserved
        default: return .global
        }
    }

    public var classification: AddressClassification { AddressClassification(kind: .ipv4, scope: scope) }
}

extension IPv6Address {
    private static let nat64WellKnown = IPv6Address(high: 0x0064_FF9B_0000_0000, low: 0)
    private static let nat64LocalUse = IPv6Address(high: 0x0064_FF9B_0001_0000, low: 0)

    public var classification: AddressClassification {
        if high == 0 && low == 0 { return AddressClassification(kind: .ipv6, scope: .unspecified) }
        if high == 0 && low == 1 { return AddressClassification(kind: .ipv6, scope: .loopback) }
        if let v4 = unmapped { return AddressClassification(kind: .ipv4Mapped, scope: v4.scope, embeddedIPv4: v4) }
        if high == 0 && low >> 32 == 0 {
            return AddressClassification(kind: .ipv4Compatible, scope: .reserved, embeddedIPv4: low32)
        }
        if isIn(Self.nat64WellKnown, length: 96) {
            return AddressClassification(kind: .nat64, scope: .global, embeddedIPv4: low32)
        }
        if isIn(Self.nat64LocalUse, length: 48) {
            // RFC 8215 leaves the prefix length to the operator; a /96 (IPv4 in the last 32 bits,
            // zeros before it) is the only layout that can be read without knowing it.
            let embedded = (low >> 32) == 0 && (high & 0xFFFF) == 0 ? low32 : nil
            return AddressClassification(kind: .nat64, scope: .global, embeddedIPv4: embedded)
        }
        if high >> 48 == 0x2002 {
            return AddressClassification(kind: .sixToFour, scope: .global,
                                         embeddedIPv4: IPv4Address(UInt32(truncatingIfNeeded: high >> 16)))
        }
        if high >> 32 == 0x2001_0000 {
            // The Teredo client's public address is stored inverted in the last 32 bits.
            return AddressClassification(kind: .teredo, scope: .global,
                                         embeddedIPv4: IPv4Address(~UInt32(truncatingIfNeeded: low)))
        }
        return AddressClassification(kind: .ipv6, scope: scope)
    }

    private var scope: AddressScope {
        if isIn(IPv6Address(high: 0xFE80_0000_0000_0000, low: 0), length: 10) { return .linkLocal }
        if isIn(IPv6Address(high: 0xFC00_0000_0000_0000, low: 0), length: 7) { return .uniqueLocal }
        if high >> 56 == 0xFF { return .multicast }
        if isIn(IPv6Address(high: 0x2001_0DB8_0000_0000, low: 0), length: 32)
            || isIn(IPv6Address(high: 0x3FFF_0000_0000_0000, low: 0), length: 20) { return .documentation }
        return .global
    }
}

extension IPAddress {
    public var classification: AddressClassification {
        switch self {
        case let .v4(a): return a.classification
        case let .v6(a): return a.classification
        }
    }
}
