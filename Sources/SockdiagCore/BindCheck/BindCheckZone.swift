/// A link-local IPv6 address names its interface with a zone (`fe80::1%eth0`): the kernel
/// refuses to bind one without it (EINVAL from inet6_bind, which needs sin6_scope_id), so the zone
/// is checked before anything is tried.
public struct BindCheckInterfaces {
    /// The index of the interface with this name, nil when there is none.
    public let index: (String) -> UInt32?
    /// The name of the interface with this index, nil when there is none.
    public let name: (UInt32) -> String?

    public init(index: @escaping (String) -> UInt32?, name: @escaping (UInt32) -> String?) {
        self.index = index
        self.name = name
    }
}

extension BindCheckQuery {
    /// The query with its zone made one the kernel takes: an interface name, or a number that is
    /// an interface index (RFC 4007 numeric zone); `%25eth0`, a zone copied from a URL (RFC 6874
    /// writes `%` as `%25`), becomes `eth0`. A link-local address without a zone, or with a zone
    /// no interface has, is a usage error naming what to give instead (`linkLocal`: the host's own
    /// link-local addresses, whose zones are the suggestions).
    public func resolvingZone(_ interfaces: BindCheckInterfaces, linkLocal: [IPv6Address]) throws(SockdiagError) -> BindCheckQuery {
        guard case let .v6(address) = self.address else { return self }
        func known(_ zone: String) -> Bool {
            interfaces.index(zone) != nil || UInt32(zone).flatMap(interfaces.name) != nil
        }
        let bare = address.withoutZone
        // The interfaces holding this very address first, then every one with a link-local address.
        let candidates = linkLocal.filter { $0.withoutZone == bare }.compactMap(\.zone) + linkLocal.compactMap(\.zone)
        var seen: Set<String> = []
        let zones = candidates.filter { seen.insert($0).inserted }
        let example = zones.first.map { "\(bare)%\($0)" } ?? "\(bare)%eth0"
        guard let zone = address.zone else {
            guard bare.classification.scope == .linkLocal else { return self }
            throw .invalidInput("\(bare) is link-local: name its interface as a zone, e.g. \(example) (the kernel refuses to bind a link-local address without one: EINVAL)")
        }
        if known(zone) { return self }
        if zone.hasPrefix("25"), case let decoded = String(zone.dropFirst(2)), !decoded.isEmpty, known(decoded) {
            return BindCheckQuery(address: .v6(IPv6Address(high: bare.high, low: bare.low, zone: decoded)), port: port, transport: transport)
        }
        let choices = zones.isEmpty ? "'ip link' lists the interfaces" : "interfaces with link-local addresses: \(zones.joined(separator: ", "))"
        throw .invalidInput("no interface '\(zone)' for the zone of \(bare) (\(choices))")
    }
}
