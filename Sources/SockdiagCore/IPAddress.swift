/// An IPv4 or IPv6 address.
public enum IPAddress: Hashable, Comparable, Sendable {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public var family: AddressFamily {
        switch self {
        case .v4: return .inet
        case .v6: return .inet6
        }
    }

    /// `::ffff:a.b.c.d` becomes `a.b.c.d`; every other address is returned as it is. Use it to
    /// compare what a dual-stack socket was given with what goes on the wire.
    public var unmapped: IPAddress {
        if case let .v6(v6) = self, let v4 = v6.unmapped { return .v4(v4) }
        return self
    }

    public var isUnspecified: Bool {
        switch self {
        case let .v4(a): return a == .any
        case let .v6(a): return a.high == 0 && a.low == 0
        }
    }

    public var isLoopback: Bool { classification.scope == .loopback }

    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        let string = String(text)
        if string.contains(":") {
            self = .v6(try IPv6Address(parsing: string))
        } else if string.contains(".") || string.allSatisfy({ $0.isASCII && $0.isNumber }) && !string.isEmpty {
            self = .v4(try IPv4Address(parsing: string))
        } else {
            throw .invalidAddress(string)
        }
    }

    public init?(_ text: some StringProtocol) {
        guard let parsed = try? IPAddress(parsing: text) else { return nil }
        self = parsed
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case let (.v4(a), .v4(b)): return a < b
        case let (.v6(a), .v6(b)): return a < b
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }
}

extension IPAddress: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .v4(a): return a.description
        case let .v6(a): return a.description
        }
    }
}

/// A socket's address family, as `ss` and the kernel name it.
public enum AddressFamily: String, Hashable, Sendable, CaseIterable {
    case inet
    case inet6

    public init?(rawSocketFamily value: Int) {
        switch value {
        case 2: self = .inet
        case 10: self = .inet6
        default: return nil
        }
    }

    public var socketFamilyValue: Int32 { self == .inet ? 2 : 10 }
}

/// A transport protocol sockdiag looks at.
public enum TransportProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp
    case udp

    public init?(ipProtocolNumber value: Int) {
        switch value {
        case 6: self = .tcp
        case 17: self = .udp
        default: return nil
        }
    }

    public var ipProtocolNumber: Int32 { self == .tcp ? 6 : 17 }

    /// The raw value as fixed text, for per-row writers.
    public var name: StaticString {
        switch self {
        case .tcp: return "tcp"
        case .udp: return "udp"
        }
    }
}
