/// An address and port: `127.0.0.1:80`, `[::1]:45000`, `[fe80::1%eth0]:22`.
public struct SocketAddress: Hashable, Sendable {
    public var address: IPAddress
    public var port: Port

    public init(_ address: IPAddress, _ port: Port) {
        self.address = address
        self.port = port
    }

    public var family: AddressFamily { address.family }

    /// Parses `a.b.c.d:port` or `[ipv6]:port`. An IPv6 address needs brackets, since its colons
    /// would otherwise swallow the port.
    public init(parsing text: some StringProtocol) throws(AddressParseError) {
        let string = String(text)
        if string.hasPrefix("[") {
            guard let close = string.firstIndex(of: "]") else {
                throw .invalidSocketAddress(string, "'[' has no matching ']'")
            }
            let inner = string[string.index(after: string.startIndex)..<close]
            let rest = string[string.index(after: close)...]
            guard rest.hasPrefix(":"), rest.count > 1 else {
                throw .invalidSocketAddress(string, "expected ':PORT' after ']'")
            }
            let v6: IPv6Address
            do { v6 = try IPv6Address(parsing: inner) } catch { throw .invalidSocketAddress(string, error.description) }
            let port: Port
            do { port = try Port(parsing: rest.dropFirst()) } catch { throw .invalidSocketAddress(string, error.description) }
            self.init(.v6(v6), port)
            return
        }
        guard let colon = string.lastIndex(of: ":") else {
            throw .invalidSocketAddress(string, "expected ADDRESS:PORT, such as 127.0.0.1:80 or [::1]:80")
        }
        if string[..<colon].contains(":") {
            throw .invalidSocketAddress(string, "an IPv6 address with a port needs brackets: [ADDRESS]:PORT")
        }
        let v4: IPv4Address
        do { v4 = try IPv4Address(parsing: string[..<colon]) } catch { throw .invalidSocketAddress(string, error.description) }
        let port: Port
        do { port = try Port(parsing: string[string.index(after: colon)...]) } catch { throw .invalidSocketAddress(string, error.description) }
        self.init(.v4(v4), port)
    }
}

extension SocketAddress: CustomStringConvertible {
    public var description: String {
        switch address {
        case let .v4(a): return "\(a):\(port)"
        case let .v6(a): return "[\(a)]:\(port)"
        }
    }
}
