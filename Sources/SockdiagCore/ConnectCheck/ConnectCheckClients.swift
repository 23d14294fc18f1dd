/// What one connect attempt to an address does, as far as this host can tell.
public enum AttemptOutcome: String, Hashable, Sendable {
    /// A local socket takes it.
    case connects
    /// Nothing takes it: a RST (TCP) or port unreachable (UDP) comes back at once.
    case refused
    /// No route: the connect fails at once (ENETUNREACH/EHOSTUNREACH).
    case unreachable
    /// It leaves the host; whether it connects depends on the far end (taken to answer).
    case remote

    /// Whether a client stops here.
    var ends: Bool { self == .connects || self == .remote }
}

/// How a runtime turns the resolver's list into connect attempts.
public enum ClientStrategy: Hashable, Sendable {
    /// One address after another, in the list's order, until one connects.
    case sequential
    /// RFC 8305: the first address's family first; the other family starts after `delay` ms
    /// when an attempt has no answer yet, at once when the first family has failed. With
    /// `interleave`, families alternate address by address (Node).
    case happyEyeballs(delayMs: Int, interleave: Bool)
    /// Only the list's first address; its failure is the client's failure.
    case firstOnly
}

/// Which list a runtime connects from.
public enum ClientAddressList: Hashable, Sendable {
    /// getaddrinfo AF_UNSPEC with AI_ADDRCONFIG, glibc's order.
    case addrconfig
    /// getaddrinfo AF_UNSPEC without AI_ADDRCONFIG.
    case plain
    /// curl: its own answer for localhost (IPv6 first from 8.2.1, IPv4 first before), the plain
    /// list otherwise.
    case curl(localhostIPv6First: Bool)
    /// Go's resolver: /etc/hosts lines in file order, DNS answers sorted by Go's RFC 6724 table.
    case go
    /// Java: the plain list with IPv4 first, or IPv6 first with java.net.preferIPv6Addresses=true.
    case java(preferIPv6: Bool)
}

/// One kind of client: a runtime and the call most programs on it make.
public struct ClientModel: Hashable, Sendable {
    /// The JSON name: `glibc_sequential`, `node_17_19`.
    public let name: String
    /// The text title: `Python socket.create_connection`.
    public let title: String
    public let list: ClientAddressList
    public let strategy: ClientStrategy
    /// Java without java.net.preferIPv4Stack connects IPv4 through an AF_INET6 socket (::ffff:a.b.c.d).
    public let mapsIPv4: Bool

    public init(name: String, title: String, list: ClientAddressList, strategy: ClientStrategy, mapsIPv4: Bool = false) {
        self.name = name
        self.title = title
        self.list = list
        self.strategy = strategy
        self.mapsIPv4 = mapsIPv4
    }

    /// Happy Eyeballs' wait before the other family starts while an attempt has no answer yet; a
    /// refusal (RST) moves on at once.
    public var fallbackDelayMs: Int? {
        if case let .happyEyeballs(delay, _) = strategy { return delay }
        return nil
    }
}

/// One attempt in a client's run.
public struct ClientAttempt: Hashable, Sendable {
    public let address: IPAddress
    public let outcome: AttemptOutcome
}

/// A client's run: its attempts and the address it ends up connected to (nil: it fails).
public struct ClientRun: Hashable, Sendable {
    public let client: ClientModel
    public let list: [IPAddress]
    public let attempts: [ClientAttempt]
    public let reaches: IPAddress?
}

/// The runtimes connect-check models. docs/connect-check.md gives each one's reference.
public enum ConnectCheckClients {
    public static let all: [ClientModel] = [
        ClientModel(name: "glibc_sequential", title: "C getaddrinfo loop (AI_ADDRCONFIG)", list: .addrconfig, strategy: .sequential),
        ClientModel(name: "python_create_connection", title: "Python socket.create_connection", list: .plain, strategy: .sequential),
        ClientModel(name: "curl", title: "curl 8.2.1+ (Happy Eyeballs, 200 ms)", list: .curl(localhostIPv6First: true),
                    strategy: .happyEyeballs(delayMs: 200, interleave: false)),
        ClientModel(name: "curl_before_8_2_1", title: "curl 7.78-8.2.0 (Happy Eyeballs, 200 ms)", list: .curl(localhostIPv6First: false),
                    strategy: .happyEyeballs(delayMs: 200, interleave: false)),
        ClientModel(name: "go", title: "Go net.Dial (Happy Eyeballs, 300 ms)", list: .go, strategy: .happyEyeballs(delayMs: 300, interleave: false)),
        ClientModel(name: "node_20", title: "Node 20+ (autoSelectFamily, 250 ms)", list: .addrconfig, strategy: .happyEyeballs(delayMs: 250, interleave: true)),
        ClientModel(name: "node_17_19", title: "Node 17-19 (first address only)", list: .addrconfig, strategy: .firstOnly),
        ClientModel(name: "java", title: "Java new Socket(host, port)", list: .java(preferIPv6: false), strategy: .firstOnly, mapsIPv4: true),
        ClientModel(name: "java_prefer_ipv6", title: "Java -Djava.net.preferIPv6Addresses=true", list: .java(preferIPv6: true), strategy: .firstOnly, mapsIPv4: true),
    ]

    /// curl's own answer for localhost (lib/hostip.c get_localhost): 127.0.0.1 and, when IPv6
    /// works, ::1; ::1 first from 8.2.1 on.
    public static func curlLocalhost(ipv6Works: Bool, ipv6First: Bool = false) -> [IPAddress] {
        guard ipv6Works else { return [.v4(.loopback)] }
        return ipv6First ? [.v6(.loopback), .v4(.loopback)] : [.v4(.loopback), .v6(.loopback)]
    }

    /// The list `client` connects from.
    public static func list(for client: ClientModel, _ observation: ConnectCheckObservation) -> [IPAddress] {
        let plain = observation.resolvedWithoutAddrconfig
        switch client.list {
        case .addrconfig:
            return observation.resolved
        case .plain:
            return plain
        case let .curl(ipv6First):
            return observation.isLocalhostName ? curlLocalhost(ipv6Works: observation.ipv6Works, ipv6First: ipv6First) : plain
        case let .java(preferIPv6):
            let six = plain.filter { $0.family == .inet6 }, four = plain.filter { $0.family == .inet }
            return preferIPv6 ? six + four : four + six
        case .go:
            return goList(observation)
        }
    }

    /// Go's pure resolver (used when nsswitch names only files and dns): the /etc/hosts lines
    /// that name the host, in file order; else the DNS answers sorted with RFC 6724's table,
    /// gai.conf not read. Otherwise Go hands the name to getaddrinfo.
    static func goList(_ observation: ConnectCheckObservation) -> [IPAddress] {
        let plain = observation.resolvedWithoutAddrconfig
        guard let name = observation.hostName,
              observation.nameServices.services.allSatisfy({ $0 == "files" || $0 == "dns" }) else { return plain }
        if observation.nameServices.readsHostsFile, let hosts = observation.hosts {
            var fromFile: [IPAddress] = []
            for line in hosts.lines(naming: name) where !fromFile.contains(line.address) { fromFile.append(line.address) }
            if !fromFile.isEmpty { return fromFile }
        }
        let candidates = plain.map { address in
            let route = observation.routes[address]
            return SortCandidate(destination: address, source: route?.kind == .unreachable ? nil : route?.source,
                                 sourcePrefixLength: route?.sourcePrefixLength)
        }
        return DestinationSorter(table: .rfc6724).sort(candidates).map(\.candidate.destination)
    }

    /// The attempts `client` makes over `list`, given each address's outcome.
    public static func run(_ client: ClientModel, list: [IPAddress], transport: TransportProtocol,
                           outcome: (IPAddress) -> AttemptOutcome) -> ClientRun {
        // A UDP client sends to one address: nothing tells it the datagram found nobody.
        let strategy: ClientStrategy = transport == .udp ? .firstOnly : client.strategy
        var attempts: [ClientAttempt] = []
        switch strategy {
        case .firstOnly:
            if let first = list.first { attempts = [ClientAttempt(address: first, outcome: outcome(first))] }
        case .sequential:
            for address in list {
                let result = outcome(address)
                attempts.append(ClientAttempt(address: address, outcome: result))
                if result.ends { break }
            }
        case let .happyEyeballs(delay, interleave):
            attempts = happyEyeballs(list, delay: delay, interleave: interleave, outcome: outcome)
        }
        let winner = attempts.first { $0.outcome.ends }?.address
        return ClientRun(client: client, list: list, attempts: attempts, reaches: winner)
    }

    /// RFC 8305 over attempts that either fail at once (refused, unreachable), connect at once
    /// (local), or leave the host (remote, taken to answer within the delay).
    static func happyEyeballs(_ list: [IPAddress], delay: Int, interleave: Bool,
                              outcome: (IPAddress) -> AttemptOutcome) -> [ClientAttempt] {
        guard let firstFamily = list.first?.family else { return [] }
        let primary = list.filter { $0.family == firstFamily }, secondary = list.filter { $0.family != firstFamily }
        var ordered: [IPAddress] = []
        if interleave {
            for i in 0..<max(primary.count, secondary.count) {
                if i < primary.count { ordered.append(primary[i]) }
                if i < secondary.count { ordered.append(secondary[i]) }
            }
        } else {
            ordered = primary + secondary
        }
        var attempts: [ClientAttempt] = []
        for address in ordered {
            let result = outcome(address)
            attempts.append(ClientAttempt(address: address, outcome: result))
            if result.ends { break }
        }
        return attempts
    }
}
