/// Where a NAT64 prefix came from: what the headers of trace and compare-wire name, so that a
/// reader knows whether the prefix was given, discovered, or merely assumed.
public enum NAT64PrefixSource: Hashable, Sendable, CustomStringConvertible {
    /// 64:ff9b::/96, RFC 6052: every host knows it.
    case wellKnown
    /// 64:ff9b:1::/48, RFC 8215: set aside for local translators; the operator picks the length.
    case localUse
    /// `--nat64-prefix P/LEN`.
    case option
    /// RFC 7050: the system resolver's AAAA answer for ipv4only.arpa embeds 192.0.0.170 or .171.
    case ipv4onlyArpa(answer: IPv6Address)
    /// Recognised on the wire: an IPv4 flow and an IPv6 flow with the same ports whose IPv6
    /// destination embeds the IPv4 one.
    case packets(ipv4: IPv4Address, ipv6: IPv6Address)

    public var description: String {
        switch self {
        case .wellKnown: return "well-known, RFC 6052"
        case .localUse: return "local-use, RFC 8215; the length is the operator's, read as /96"
        case .option: return "--nat64-prefix"
        case let .ipv4onlyArpa(answer): return "RFC 7050: ipv4only.arpa resolved to \(answer)"
        case let .packets(ipv4, ipv6): return "learned from packets: \(ipv4) seen as \(ipv6)"
        }
    }

    /// A few words for a report's row.
    public var brief: String {
        switch self {
        case .wellKnown: return "well-known"
        case .localUse: return "local-use"
        case .option: return "from --nat64-prefix"
        case .ipv4onlyArpa: return "from ipv4only.arpa, RFC 7050"
        case .packets: return "learned from packets"
        }
    }

    /// The short name JSON carries.
    public var key: String {
        switch self {
        case .wellKnown: return "well-known"
        case .localUse: return "local-use"
        case .option: return "option"
        case .ipv4onlyArpa: return "rfc7050"
        case .packets: return "packets"
        }
    }
}

/// A prefix and where it came from.
public struct NAT64KnownPrefix: Hashable, Sendable, CustomStringConvertible {
    public let prefix: NAT64Prefix
    public let source: NAT64PrefixSource

    public init(_ prefix: NAT64Prefix, source: NAT64PrefixSource) {
        self.prefix = prefix
        self.source = source
    }

    public var description: String { "\(displayed) (\(source))" }

    /// The prefix as a reader knows it: the local-use block is a /48 whose length its operator
    /// picks, though addresses under it are read as /96.
    public var displayed: String { source == .localUse ? "64:ff9b:1::/48" : prefix.description }
}

/// The NAT64 prefixes an address is classified against, the ones given or discovered first,
/// then the well-known and the local-use prefix.
public struct NAT64Prefixes: Hashable, Sendable {
    public private(set) var known: [NAT64KnownPrefix]
    /// Why `--nat64-prefix discover` found nothing, for the header.
    public var discoveryNote: String?

    /// The well-known and local-use prefixes alone: what a host knows without being told.
    public static let builtIn = NAT64Prefixes(known: [
        NAT64KnownPrefix(.wellKnown, source: .wellKnown),
        NAT64KnownPrefix(NAT64Prefix(uncheckedAddress: IPv6Address(high: 0x0064_FF9B_0001_0000, low: 0), length: 96), source: .localUse),
    ])

    init(known: [NAT64KnownPrefix]) { self.known = known }

    /// `prefixes` ahead of the built-in ones; a prefix already known keeps its first source.
    public init(_ prefixes: [NAT64KnownPrefix]) {
        self = .builtIn
        for prefix in prefixes.reversed() { prepend(prefix) }
    }

    /// Ahead of the others, unless it is known already.
    public mutating func prepend(_ prefix: NAT64KnownPrefix) {
        guard !known.contains(where: { $0.prefix == prefix.prefix }) else { return }
        known.insert(prefix, at: 0)
    }

    /// Only the built-in prefixes: nothing given, discovered or learned.
    public var isBuiltIn: Bool { known == NAT64Prefixes.builtIn.known && discoveryNote == nil }

    /// The prefixes beyond the built-in ones.
    public var extra: [NAT64KnownPrefix] { known.filter { $0.source != .wellKnown && $0.source != .localUse } }

    /// The first prefix `address` is under, and the IPv4 address it embeds. An address under the
    /// local-use /48 with other bits than a /96 prefix's carries an IPv4 address this host cannot
    /// read (the length is the operator's): it still matches, without one.
    public func match(_ address: IPv6Address) -> (prefix: NAT64KnownPrefix, ipv4: IPv4Address?)? {
        for entry in known {
            if let ipv4 = entry.prefix.extract(address) { return (entry, ipv4) }
        }
        if address.high >> 16 == 0x0064_FF9B_0001, let local = known.first(where: { $0.source == .localUse }) {
            return (local, nil)
        }
        return nil
    }

    /// The header line of trace and compare-wire.
    public var headerLine: String {
        "NAT64 prefixes: " + known.map(\.description).joined(separator: "; ") + (discoveryNote.map { "; \($0)" } ?? "")
    }
}

extension IPv6Address {
    /// The classification with `prefixes` as the NAT64 prefixes.
    public func classification(nat64 prefixes: NAT64Prefixes) -> AddressClassification {
        let builtIn = classification
        guard !prefixes.isBuiltIn, builtIn.kind == .ipv6, let match = prefixes.match(self) else { return builtIn }
        return AddressClassification(kind: .nat64, scope: builtIn.scope, embeddedIPv4: match.ipv4)
    }
}

extension IPAddress {
    public func classification(nat64 prefixes: NAT64Prefixes) -> AddressClassification {
        switch self {
        case let .v4(a): return a.classification
        case let .v6(a): return a.classification(nat64: prefixes)
        }
    }
}
