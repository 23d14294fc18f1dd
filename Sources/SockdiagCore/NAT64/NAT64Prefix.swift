/// An IPv4/IPv6 translation prefix (RFC 6052): the IPv4 address is written into the IPv6 one
/// right after the prefix, skipping bits 64-71 (the "u" octet, kept zero for compatibility with
/// the RFC 4291 interface identifier format).
public struct NAT64Prefix: Hashable, Sendable, CustomStringConvertible {
    /// The prefix bits, the rest zero.
    public let address: IPv6Address
    /// 32, 40, 48, 56, 64 or 96.
    public let length: Int

    public static let validLengths = [32, 40, 48, 56, 64, 96]

    /// The well-known prefix 64:ff9b::/96 (RFC 6052).
    public static let wellKnown = NAT64Prefix(uncheckedAddress: IPv6Address(high: 0x0064_FF9B_0000_0000, low: 0), length: 96)

    init(uncheckedAddress address: IPv6Address, length: Int) {
        self.address = address
        self.length = length
    }

    /// Why `P/LEN` is not a NAT64 prefix.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case notPrefix(String)
        case address(AddressParseError)
        case length(String)
        case hostBits(String, Int)
        case uOctet(String)

        public var description: String {
            switch self {
            case let .notPrefix(text): return "'\(text)' is not a NAT64 prefix: expected PREFIX/LENGTH, like 64:ff9b::/96"
            case let .address(error): return error.description
            case let .length(text): return "'\(text)' is not a NAT64 prefix length: RFC 6052 allows 32, 40, 48, 56, 64 and 96"
            case let .hostBits(text, length): return "'\(text)' has bits set after the first \(length): write the prefix with zeros there"
            case let .uOctet(text): return "'\(text)' sets bits 64-71, which RFC 6052 reserves (the u octet) and keeps zero"
            }
        }
    }

    /// `P/LEN`, as `--nat64-prefix` takes it.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { throw .notPrefix(text) }
        let address: IPv6Address
        do { address = try IPv6Address(parsing: parts[0]) } catch { throw .address(error) }
        guard address.zone == nil else { throw .notPrefix(text) }
        guard let length = Int(parts[1]), NAT64Prefix.validLengths.contains(length) else { throw .length(String(parts[1])) }
        guard address.masked(to: length) == address else { throw .hostBits(text, length) }
        if length == 96 && address.low >> 56 != 0 { throw .uOctet(text) }
        self.init(uncheckedAddress: address, length: length)
    }

    public var description: String { "\(address)/\(length)" }

    /// The byte positions the IPv4 address takes after a prefix of `length` bits.
    static func positions(_ length: Int) -> [Int] {
        var positions: [Int] = []
        var at = length / 8
        while positions.count < 4 {
            if at != 8 { positions.append(at) }
            at += 1
        }
        return positions
    }

    /// The IPv4-embedded IPv6 address of `ipv4` (RFC 6052 section 2.2); suffix and u octet zero.
    public func embed(_ ipv4: IPv4Address) -> IPv6Address {
        var bytes = address.bytes
        let v4 = ipv4.bytes
        for (i, at) in Self.positions(length).enumerated() { bytes[at] = v4[i] }
        return IPv6Address(networkBytes: bytes)
    }

    /// The IPv4 address inside `ipv6` when it is under this prefix (RFC 6052 section 2.3), or nil.
    /// The u octet is skipped, never read as address bits.
    public func extract(_ ipv6: IPv6Address) -> IPv4Address? {
        guard ipv6.withoutZone.masked(to: length) == address else { return nil }
        let bytes = ipv6.bytes
        return IPv4Address(networkBytes: Self.positions(length).map { bytes[$0] })
    }

    /// The prefix of `length` bits that embeds `ipv4` in `ipv6`, if the address has it there: how
    /// RFC 7050 reads a prefix from an answer for ipv4only.arpa, and how a translation is
    /// recognised from its two sides.
    public static func containing(_ ipv4: IPv4Address, in ipv6: IPv6Address, length: Int) -> NAT64Prefix? {
        let candidate = NAT64Prefix(uncheckedAddress: ipv6.withoutZone.masked(to: length), length: length)
        if length == 96 && candidate.address.low >> 56 != 0 { return nil }
        return candidate.extract(ipv6) == ipv4 ? candidate : nil
    }
}

extension IPv6Address {
    /// The first `length` bits, the rest zero.
    func masked(to length: Int) -> IPv6Address {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : ~(UInt64.max >> UInt64(bits)) }
        return IPv6Address(high: high & mask(length), low: low & mask(length - 64))
    }
}

extension IPv4Address {
    /// The four bytes in network order.
    var bytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0)) } }
}
