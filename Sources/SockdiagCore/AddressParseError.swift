/// Why a piece of text is not an address, a port or a socket address. The description is one line
/// meant for a user's terminal.
public enum AddressParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidIPv4(String, String)
    case invalidIPv6(String, String)
    case invalidAddress(String)
    case invalidPort(String, String)
    case invalidSocketAddress(String, String)

    public var description: String {
        switch self {
        case let .invalidIPv4(text, why): return "'\(text)' is not an IPv4 address: \(why)"
        case let .invalidIPv6(text, why): return "'\(text)' is not an IPv6 address: \(why)"
        case let .invalidAddress(text):
            return "'\(text)' is not an IP address (expected IPv4 like 127.0.0.1 or IPv6 like ::1)"
        case let .invalidPort(text, why): return "'\(text)' is not a port: \(why)"
        case let .invalidSocketAddress(text, why): return "'\(text)' is not a socket address: \(why)"
        }
    }
}
