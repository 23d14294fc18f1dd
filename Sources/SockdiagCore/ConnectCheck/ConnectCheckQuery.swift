/// The destination a client names: a host name for the resolver, or an address it uses as given.
public enum ConnectCheckHost: Hashable, Sendable, CustomStringConvertible {
    case name(String)
    case address(IPAddress)

    public var description: String {
        switch self {
        case let .name(name): return name
        case let .address(address): return address.description
        }
    }
}

/// What the user asked about: HOST PORT and a transport.
public struct ConnectCheckQuery: Hashable, Sendable {
    public let host: ConnectCheckHost
    public let port: Port
    public let transport: TransportProtocol

    public init(host: ConnectCheckHost, port: Port, transport: TransportProtocol) {
        self.host = host
        self.port = port
        self.transport = transport
    }

    /// Reads `HOST PORT`, `HOST:PORT`, `[IPV6]:PORT` or `[IPV6] PORT`.
    public init(positionals: [String], transport: TransportProtocol) throws(SockdiagError) {
        let hostText: String, portText: String
        switch positionals.count {
        case 0:
            throw .invalidInput("missing HOST and PORT (usage: sockdiag connect-check [options] HOST PORT)")
        case 1:
            let text = positionals[0]
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                let rest = text[text.index(after: close)...]
                guard rest.hasPrefix(":") else { throw .invalidInput("missing port after '\(text)' (give '\(text)' PORT or \(text):PORT)") }
                (hostText, portText) = (String(text[...close]), String(rest.dropFirst()))
            } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
                (hostText, portText) = (String(text[..<colon]), String(text[text.index(after: colon)...]))
            } else if IPv6Address(text) != nil {
                throw .invalidInput("missing port after '\(text)' (give \(text) PORT, or [\(text)]:PORT)")
            } else {
                throw .invalidInput(text.isEmpty ? "the host name is empty" : "missing port after '\(text)' (give \(text) PORT, or \(text):PORT)")
            }
        case 2:
            (hostText, portText) = (positionals[0], positionals[1])
            if !hostText.hasPrefix("["), let colon = hostText.lastIndex(of: ":"), hostText.firstIndex(of: ":") == colon,
               (try? Port(parsing: hostText[hostText.index(after: colon)...])) != nil {
                throw .invalidInput("'\(hostText)' already names a port; drop '\(portText)'")
            }
        default:
            throw .invalidInput("too many arguments: '\(positionals.dropFirst(2).joined(separator: " "))' (give HOST PORT)")
        }
        let port: Port
        do { port = try Port(parsing: portText) } catch { throw .invalidInput(error.description) }
        guard port.value != 0 else { throw .invalidInput("port 0 cannot be connected to: give the port the server listens on") }
        self.init(host: try ConnectCheckQuery.host(hostText), port: port, transport: transport)
    }

    static func host(_ text: String) throws(SockdiagError) -> ConnectCheckHost {
        if text.hasPrefix("[") {
            guard text.hasSuffix("]") else { throw .invalidInput("'\(text)': a '[' needs its ']'") }
            let inner = text.dropFirst().dropLast()
            do { return .address(.v6(try IPv6Address(parsing: inner))) } catch { throw .invalidInput(error.description) }
        }
        guard !text.isEmpty else { throw .invalidInput("the host name is empty") }
        if let address = IPAddress(text) { return .address(address) }
        guard !text.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) else {
            throw .invalidInput("'\(text)' is not a host name: it contains white space")
        }
        return .name(text)
    }

    /// `localhost:3000`, `[::1]:3000`.
    public var text: String {
        switch host {
        case let .name(name): return "\(name):\(port)"
        case let .address(address): return SocketAddress(address, port).description
        }
    }
}
