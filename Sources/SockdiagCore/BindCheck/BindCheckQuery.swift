/// What the user asked about: an address, a port and a protocol.
public struct BindCheckQuery: Hashable, Sendable {
    public let address: IPAddress
    public let port: Port
    public let transport: TransportProtocol

    public init(address: IPAddress, port: Port, transport: TransportProtocol) {
        self.address = address
        self.port = port
        self.transport = transport
    }

    /// `[::]:45000`, `127.0.0.1:0`.
    public var socketAddressText: String { SocketAddress(address, port).description }

    /// Reads `ADDRESS PORT`, `ADDRESS:PORT` or `[IPV6]:PORT`; `[IPV6] PORT` too, since brackets are
    /// how IPv6 addresses are usually copied. The error is one line for the terminal.
    public init(positionals: [String], transport: TransportProtocol) throws(SockdiagError) {
        switch positionals.count {
        case 0:
            throw .invalidInput("missing ADDRESS and PORT (usage: sockdiag bind-check [options] ADDRESS PORT, or --all)")
        case 1:
            let text = positionals[0]
            if text.hasSuffix("]:"), (try? BindCheckQuery.bracketedAddress(String(text.dropLast()))) != nil {
                throw .invalidInput("missing port after '\(text)' (give \(text)PORT)")
            }
            if let bracketed = try BindCheckQuery.bracketedAddress(text) {
                throw .invalidInput("missing port after '\(text)' (give '\(text)' PORT, or \(SocketAddress(bracketed, Port(45000))) with a port of your choice)")
            }
            let looksLikeSocketAddress = text.hasPrefix("[") || (text.contains(".") && text.contains(":"))
            if looksLikeSocketAddress {
                do {
                    let parsed = try SocketAddress(parsing: text)
                    self.init(address: parsed.address, port: parsed.port, transport: transport)
                    return
                } catch {
                    throw .invalidInput(error.description)
                }
            }
            let address: IPAddress
            do { address = try IPAddress(parsing: text) } catch { throw .invalidInput(error.description) }
            if let (host, port) = BindCheckQuery.portGluedToIPv6(text) {
                throw .invalidInput("'\(text)' reads as the one IPv6 address \(address), with no port; for port \(port) of \(host) write \(SocketAddress(host, port)) (or '\(host) \(port)')")
            }
            throw .invalidInput("missing port after '\(address)' (give ADDRESS PORT, or \(SocketAddress(address, Port(45000))) with a port of your choice)")
        default:
            let address: IPAddress
            if let bracketed = try BindCheckQuery.bracketedAddress(positionals[0]) {
                address = bracketed
            } else if let withPort = try? SocketAddress(parsing: positionals[0]) {
                throw .invalidInput("'\(positionals[0])' already names port \(withPort.port); drop '\(positionals[1])'")
            } else {
                do { address = try IPAddress(parsing: positionals[0]) } catch { throw .invalidInput(error.description) }
            }
            let port: Port
            do { port = try Port(parsing: positionals[1]) } catch { throw .invalidInput(error.description) }
            self.init(address: address, port: port, transport: transport)
        }
    }

    /// `::1:80` is a valid IPv6 address (::0.1.0.128), but most likely meant port 80 of ::1: the
    /// address before the last colon, and the digits after it as a port, when both parse.
    static func portGluedToIPv6(_ text: String) -> (IPAddress, Port)? {
        guard let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isNumber),
              let port = try? Port(parsing: text[text.index(after: colon)...]),
              let host = try? IPv6Address(parsing: text[..<colon]) else { return nil }
        return (.v6(host), port)
    }

    /// The address inside `[IPV6]` with nothing after the `]`; nil when `text` is not of that form
    /// (`[::1]:80` and unbracketed addresses are read elsewhere).
    static func bracketedAddress(_ text: String) throws(SockdiagError) -> IPAddress? {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.count >= 2,
              text.dropFirst().firstIndex(of: "]") == text.index(before: text.endIndex) else { return nil }
        let inner = text.dropFirst().dropLast()
        do { return .v6(try IPv6Address(parsing: inner)) } catch {
            if let v4 = try? IPv4Address(parsing: inner) {
                throw .invalidInput("'\(text)': brackets are for IPv6 addresses; give \(v4) without them")
            }
            throw .invalidInput(error.description)
        }
    }
}

/// The sysctls and addresses that decide what a bind does.
public struct BindCheckSystem: Hashable, Sendable {
    /// `net.ipv6.bindv6only`: the IPV6_V6ONLY a new AF_INET6 socket starts with.
    public var bindv6only: Bool
    /// `net.ipv6.conf.all.disable_ipv6`, or true when the kernel has no IPv6 at all.
    public var ipv6Disabled: Bool
    public var ipv4Addresses: [IPv4Address]
    public var ipv6Addresses: [IPv6Address]
    /// `net.ipv4.ip_local_port_range`.
    public var ephemeralRange: ClosedRange<UInt16>?
    /// `net.ipv4.ip_local_reserved_ports`, as the kernel writes it (`8080,9000-9010`).
    public var reservedPorts: String
    /// `net.ipv4.ip_unprivileged_port_start`.
    public var unprivilegedPortStart: Int?
    /// The running kernel's release (`uname -r`).
    public var kernel: String
    /// `net.ipv6.conf.lo.disable_ipv6`: lo carries every local IPv6 connection, ::1 included.
    public var ipv6DisabledOnLoopback: Bool
    /// The interface that holds each local address: a local client of that address is matched
    /// against it, not lo (BindCheckKernel.arrivingDevice).
    public var addressDevices: [IPAddress: String] = [:]
    /// How many CPUs may run a lookup (online CPUs); nil when unknown.
    public var cpus: Int?

    public init(bindv6only: Bool, ipv6Disabled: Bool, ipv4Addresses: [IPv4Address], ipv6Addresses: [IPv6Address],
                ephemeralRange: ClosedRange<UInt16>?, reservedPorts: String, unprivilegedPortStart: Int?, kernel: String = "",
                ipv6DisabledOnLoopback: Bool = false) {
        self.kernel = kernel
        self.ipv6DisabledOnLoopback = ipv6DisabledOnLoopback
        self.bindv6only = bindv6only
        self.ipv6Disabled = ipv6Disabled
        self.ipv4Addresses = ipv4Addresses
        self.ipv6Addresses = ipv6Addresses
        self.ephemeralRange = ephemeralRange
        self.reservedPorts = reservedPorts
        self.unprivilegedPortStart = unprivilegedPortStart
    }

    public var ipv6Usable: Bool { !ipv6Disabled && !ipv6Addresses.isEmpty }

    /// `(6, 18)` from `6.18.44-fc`; nil when the release is unknown.
    public var kernelRelease: (Int, Int)? {
        let numbers = kernel.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2, kernel.first?.isNumber == true else { return nil }
        return (numbers[0], numbers[1])
    }

    /// Why a client on this host cannot reach `destination` at all, whatever listens; nil when it
    /// can. IPv4-mapped destinations travel as IPv4 and are not affected.
    public func unreachable(_ destination: IPAddress) -> String? {
        guard case let .v6(address) = destination, !address.isIPv4Mapped else { return nil }
        if ipv6Addresses.isEmpty {
            let reason = ipv6Disabled ? "IPv6 is disabled (net.ipv6.conf.all.disable_ipv6=1)"
                : ipv6DisabledOnLoopback ? "IPv6 is disabled on lo (net.ipv6.conf.lo.disable_ipv6=1)" : "no IPv6 address is configured"
            return "connect() fails with EADDRNOTAVAIL: this host has no IPv6 address to send from; \(reason)"
        }
        guard ipv6DisabledOnLoopback else { return nil }
        if address.withoutZone == .loopback {
            return "::1 does not exist: IPv6 is disabled on lo (net.ipv6.conf.lo.disable_ipv6=1), so connect() fails"
        }
        return "IPv6 is disabled on lo (net.ipv6.conf.lo.disable_ipv6=1), which carries every local IPv6 connection: a client on this host never gets through (connect() times out)"
    }

    /// Parses `32768\t60999`, as the kernel writes `ip_local_port_range`.
    public static func parsePortRange(_ text: String) -> ClosedRange<UInt16>? {
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        guard numbers.count == 2, numbers[0] <= numbers[1] else { return nil }
        return numbers[0]...numbers[1]
    }

    /// Client destinations that matter: both loopbacks, the IPv4-mapped loopback, every local address.
    public var destinations: [IPAddress] {
        var list: [IPAddress] = [.v4(.loopback), .v6(.loopback), .v6(IPv6Address(mapping: .loopback))]
        for a in ipv4Addresses where !list.contains(.v4(a)) { list.append(.v4(a)) }
        for a in ipv6Addresses where !list.contains(where: { $0 == .v6(a) || $0.description == a.description }) { list.append(.v6(a)) }
        return list
    }
}
