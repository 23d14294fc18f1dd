/// An IPv4 address, held as its 32-bit value (the first octet in the high byte).
public struct IPv4Address: Hashable, Comparable, Sendable {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Four bytes in network order, as they sit in `sockaddr_in.sin_addr` or an IP header.
    public init<Bytes: Collection>(networkBytes bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(bytes.count >= 4, "an IPv4 address needs 4 bytes")
        var v: UInt32 = 0
        for byte in bytes.prefix(4) { v = v << 8 | UInt32(byte) }
        value = v
    }

    public static let any = IPv4Address(0)
    public static let loopback = IPv4Address(127, 0, 0, 1)
    public static let broadcast = IPv4Address(0xFFFF_FFFF)

    public var octets: [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// The address as stored in `in_addr.s_addr` on this (little- or big-endian) host.
    public var networkOrderValue: UInt32 { value.bigEndian }

    public func isIn(_ prefix: IPv4Address, length: Int) -> Bool {
        guard length > 0 else { return true }
        let mask: UInt32 = length >= 32 ? .max : ~(UInt32.max >> UInt32(length))
        return value & mask == prefix.value & mask
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

extension IPv4Address: CustomStringConvertible {
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(15)
        write(to: &text)
        return String(decoding: text, as: UTF8.self)
    }
}

extension IPv4Address {
    /// Parses dotted-quad text the way `inet_pton(AF_INET)` does: exactly four decimal octets,
    /// no leading zeros, nothing else.
    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        guard let parsed = IPv4Address.parse(Substring(text)) else {
            throw AddressParseError.invalidIPv4(String(text), IPv4Address.explainFailure(Substring(text)))
        }
        self = parsed
    }

    public init?(_ text: some StringProtocol) {
        guard let parsed = IPv4Address.parse(Substring(text)) else { return nil }
        self = parsed
    }

    static func parse(_ text: Substring) -> IPv4Address? {
        var value: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 1 && leadingZero { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if current > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | current
                octets += 1
                current = 0; digits = 0; leadingZero = false
            default:
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return IPv4Address(value << 8 | current)
    }

    static func explainFailure(_ text: Substring) -> String {
        if text.isEmpty { return "it is empty" }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count != 4 { return "expected 4 dot-separated numbers, found \(parts.count)" }
        for part in parts {
            if part.isEmpty { return "an octet is empty" }
            guard part.allSatisfy({ $0.isASCII && $0.isNumber }) else { return "'\(part)' is not a decimal number" }
            if part.count > 1 && part.first == "0" { return "'\(part)' has a leading zero" }
            if let n = Int(part), n > 255 { return "\(part) is larger than 255" }
        }
        return "it is not dotted-quad text"
    }
}
