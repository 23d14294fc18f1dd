/// An IPv6 address: 128 bits as two 64-bit halves (the first byte in the high byte of `high`),
/// plus an optional zone (`fe80::1%eth0`), which only link-local and multicast addresses use.
public struct IPv6Address: Hashable, Comparable, Sendable {
    public let high: UInt64
    public let low: UInt64
    public let zone: String?

    public init(high: UInt64, low: UInt64, zone: String? = nil) {
        self.high = high
        self.low = low
        self.zone = zone
    }

    /// Sixteen bytes in network order, as in `sockaddr_in6.sin6_addr`.
    public init<Bytes: Collection>(networkBytes bytes: Bytes, zone: String? = nil) where Bytes.Element == UInt8 {
        precondition(bytes.count >= 16, "an IPv6 address needs 16 bytes")
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, byte) in bytes.prefix(16).enumerated() {
            if i < 8 { h = h << 8 | UInt64(byte) } else { l = l << 8 | UInt64(byte) }
        }
        self.init(high: h, low: l, zone: zone)
    }

    public init(groups: [UInt16], zone: String? = nil) {
        precondition(groups.count == 8, "an IPv6 address has 8 groups")
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        self.init(high: h, low: l, zone: zone)
    }

    /// `::ffff:a.b.c.d`, the form a dual-stack AF_INET6 socket uses for an IPv4 peer.
    public init(mapping ipv4: IPv4Address) {
        self.init(high: 0, low: 0x0000_FFFF_0000_0000 | UInt64(ipv4.value))
    }

    public static let any = IPv6Address(high: 0, low: 0)
    public static let loopback = IPv6Address(high: 0, low: 1)

    public var bytes: [UInt8] {
        (0..<16).map { i in
            let half = i < 8 ? high : low
            return UInt8(truncatingIfNeeded: half >> UInt64(56 - 8 * (i % 8)))
        }
    }

    public var groups: [UInt16] {
        (0..<8).map { i in
            let half = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (i % 4)))
        }
    }

    /// The same 128 bits without the zone.
    public var withoutZone: IPv6Address { IPv6Address(high: high, low: low) }

    /// The last 32 bits as an IPv4 address.
    public var low32: IPv4Address { IPv4Address(UInt32(truncatingIfNeeded: low)) }

    public var isIPv4Mapped: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The embedded IPv4 address of an IPv4-mapped address (`::ffff:a.b.c.d` -> `a.b.c.d`).
    public var unmapped: IPv4Address? { isIPv4Mapped ? low32 : nil }

    public func isIn(_ prefix: IPv6Address, length: Int) -> Bool {
        if length <= 0 { return true }
        if length <= 64 {
            let mask: UInt64 = length == 64 ? .max : ~(UInt64.max >> UInt64(length))
            return high & mask == prefix.high & mask
        }
        guard high == prefix.high else { return false }
        let mask: UInt64 = length >= 128 ? .max : ~(UInt64.max >> UInt64(length - 64))
        return low & mask == prefix.low & mask
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

extension IPv6Address: CustomStringConvertible {
    /// RFC 5952 text (`write(high:low:to:)`), then `%zone` when there is one.
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(46)
        write(to: &text)
        return String(decoding: text, as: UTF8.self)
    }
}

extension IPv6Address {
    /// Parses RFC 4291 text: eight groups, `::` once, an optional trailing dotted IPv4, and an
    /// optional `%zone`.
    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        let whole = String(text)
        var body = Substring(whole)
        var zone: String?
        if let percent = body.firstIndex(of: "%") {
            let zoneText = body[body.index(after: percent)...]
            guard !zoneText.isEmpty else { throw .invalidIPv6(whole, "the zone after '%' is empty") }
            guard zoneText.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "%" }) else {
                throw .invalidIPv6(whole, "the zone '\(zoneText)' has characters an interface name cannot have")
            }
            zone = String(zoneText)
            body = body[..<percent]
        }
        let groups: [UInt16]
        do { groups = try IPv6Address.parseGroups(body) } catch { throw .invalidIPv6(whole, error.reason) }
        self.init(groups: groups, zone: zone)
    }

    public init?(_ text: some StringProtocol) {
        guard let parsed = try? IPv6Address(parsing: text) else { return nil }
        self = parsed
    }

    struct Failure: Error { let reason: String }

    static func parseGroups(_ text: Substring) throws(Failure) -> [UInt16] {
        if text.isEmpty { throw Failure(reason: "it is empty") }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { throw Failure(reason: "'::' may appear only once") }
        func parseSide(_ side: Substring, allowIPv4Tail: Bool) throws(Failure) -> [UInt16] {
            if side.isEmpty { return [] }
            let pieces = side.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt16] = []
            for (index, piece) in pieces.enumerated() {
                if piece.isEmpty { throw Failure(reason: "a group between ':' is empty") }
                if piece.contains(".") {
                    guard allowIPv4Tail, index == pieces.count - 1 else {
                        throw Failure(reason: "an embedded IPv4 address may only come last")
                    }
                    guard let v4 = IPv4Address.parse(piece) else {
                        throw Failure(reason: "the embedded IPv4 '\(piece)' is not valid")
                    }
                    out.append(UInt16(v4.value >> 16))
                    out.append(UInt16(truncatingIfNeeded: v4.value))
                    continue
                }
                guard piece.count <= 4 else { throw Failure(reason: "group '\(piece)' has more than 4 hex digits") }
                guard let group = UInt16(piece, radix: 16), piece.allSatisfy(\.isHexDigit) else {
                    throw Failure(reason: "group '\(piece)' is not hexadecimal")
                }
                out.append(group)
            }
            return out
        }
        if halves.count == 1 {
            let groups = try parseSide(halves[0], allowIPv4Tail: true)
            guard groups.count == 8 else {
                throw Failure(reason: "expected 8 groups (or '::'), found \(groups.count)")
            }
            return groups
        }
        let head = try parseSide(halves[0], allowIPv4Tail: false)
        let tail = try parseSide(halves[1], allowIPv4Tail: true)
        guard head.count + tail.count <= 7 else { throw Failure(reason: "too many groups around '::'") }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}

extension Substring {
    /// Splits at each `::`, leaving single colons alone; `:::` is caught by the group parser.
    fileprivate func components(separatedByDoubleColon _: Void) -> [Substring] {
        var parts: [Substring] = []
        var start = startIndex
        var i = startIndex
        while i < endIndex {
            let next = index(after: i)
            if self[i] == ":" && next < endIndex && self[next] == ":" {
                parts.append(self[start..<i])
                start = index(after: next)
                i = start
                continue
            }
            i = next
        }
        parts.append(self[start...])
        return parts
    }
}
