/// One resolver answer, in order, with where it came from and the rule that placed it.
public struct ResolutionEntry: Hashable, Sendable {
    public let address: IPAddress
    public let source: AnswerSource
    public let sorted: SortedDestination
}

/// Who receives a connection to one address.
public enum AnswerReceiver: Hashable, Sendable {
    /// A local socket (or a SO_REUSEPORT group) takes it, or nothing does.
    case local(BindCheckReception)
    /// It leaves the host by this route.
    case remote(RouteAnswer)
    /// No route to it.
    case unreachable(RouteAnswer)

    public var outcome: AttemptOutcome {
        switch self {
        case .local(.unreachable): return .unreachable
        case let .local(reception): return reception.receivers.isEmpty ? .refused : .connects
        case .remote: return .remote
        case .unreachable: return .unreachable
        }
    }
}

/// One address any client may try, with its receiver and, under --probe, what a real connect found.
public struct ConnectCheckAnswer: Hashable, Sendable {
    public let address: IPAddress
    public let receiver: AnswerReceiver
    public let probe: ProbeResult?
    /// Whether the probe found what the model said; nil without a probe or when it cannot tell.
    public let probeAgrees: Bool?
}

public enum ConnectCheckVerdict: String, Hashable, Sendable {
    /// Clients reach different processes depending on family or runtime.
    case split
    /// Some client's first choice is refused (it falls back, or fails).
    case firstChoiceRefused = "first_choice_refused"
    case nothingReachable = "nothing_reachable"
    case consistent

    public var isProblem: Bool { self != .consistent }
}

/// The analysed answer to one connect-check.
public struct ConnectCheckReport: Sendable {
    public let observation: ConnectCheckObservation
    public let table: AddressPolicyTable
    public let resolution: [ResolutionEntry]
    /// Families getaddrinfo returns without AI_ADDRCONFIG but not with it.
    public let droppedByAddrconfig: [AddressFamily]
    /// The order sockdiag's model of glibc's sort gives, when it differs from glibc's.
    public let modelOrderDiffers: [IPAddress]?
    public let answers: [ConnectCheckAnswer]
    public let clients: [ClientRun]
    public let verdict: ConnectCheckVerdict
    public var findings: [BindCheckFinding] = []

    public var exitStatus: ExitStatus { verdict.isProblem ? .problemFound : .ok }

    public func answer(_ address: IPAddress) -> ConnectCheckAnswer? { answers.first { $0.address == address } }

    public static func analyze(_ observation: ConnectCheckObservation) -> ConnectCheckReport {
        let table = AddressPolicyTable.glibc(gaiConf: observation.gaiConf)
        let (resolution, modelOrder) = resolutionEntries(observation, table: table)
        let dropped = AddressFamily.allCases.filter { family in
            observation.resolvedWithoutAddrconfig.contains { $0.family == family } && !observation.resolved.contains { $0.family == family }
        }
        let candidates = BindCheckReport.candidates(observation.sockets, defaultV6only: observation.defaultV6only)
        let addresses = ConnectCheckObservation.addressesToExamine(query: observation.query, resolved: observation.resolved,
                                                                   withoutAddrconfig: observation.resolvedWithoutAddrconfig,
                                                                   ipv6Works: observation.ipv6Works)
        let answers = addresses.map { address -> ConnectCheckAnswer in
            let receiver = self.receiver(of: address, route: observation.routes[address], candidates: candidates,
                                         addressDevices: observation.addressDevices, transport: observation.query.transport)
            let probe = observation.probes?[address]
            return ConnectCheckAnswer(address: address, receiver: receiver, probe: probe,
                                      probeAgrees: probe.flatMap { agrees($0, receiver, sockets: observation.sockets) })
        }
        let clients = ConnectCheckClients.all.map { client in
            ConnectCheckClients.run(client, list: ConnectCheckClients.list(for: client, observation), transport: observation.query.transport) { address in
                answers.first { $0.address == address }?.receiver.outcome ?? .unreachable
            }
        }
        var report = ConnectCheckReport(observation: observation, table: table, resolution: resolution, droppedByAddrconfig: dropped,
                                        modelOrderDiffers: modelOrder, answers: answers, clients: clients,
                                        verdict: verdict(clients, answers))
        report.findings = ConnectCheckAdvisor(report: report).findings()
        return report
    }

    /// The resolver's answers with their sources, and glibc's sort replayed on the order the name
    /// service gave (/etc/hosts lines in file order) to name each answer's rule. Returns the
    /// model's order too when it differs from glibc's.
    static func resolutionEntries(_ observation: ConnectCheckObservation, table: AddressPolicyTable) -> ([ResolutionEntry], [IPAddress]?) {
        let resolved = observation.resolved
        let hostLines = observation.hostName.flatMap { name in
            observation.nameServices.readsHostsFile ? observation.hosts?.lines(naming: name) : nil
        } ?? []
        func source(_ address: IPAddress) -> AnswerSource {
            if case .address = observation.query.host { return .literal }
            if let line = hostLines.first(where: { $0.address == address }) {
                return .hostsFile(path: observation.hosts?.path ?? "/etc/hosts", line: line.number, text: line.text)
            }
            return .nameService(observation.nameServices.afterFiles ?? "dns")
        }
        // The name service's order: file order for /etc/hosts answers, glibc's for the others.
        var serviceOrder: [IPAddress] = []
        for a in hostLines.map(\.address).filter(resolved.contains) + resolved where !serviceOrder.contains(a) { serviceOrder.append(a) }
        let candidates = serviceOrder.map { address in
            let route = observation.routes[address]
            return SortCandidate(destination: address, source: route?.kind == .unreachable ? nil : route?.source,
                                 sourcePrefixLength: route?.sourcePrefixLength)
        }
        let sorted = DestinationSorter(table: table).sort(candidates)
        let modelOrder = sorted.map(\.candidate.destination)
        let entries = resolved.compactMap { address in
            sorted.first { $0.candidate.destination == address }.map { ResolutionEntry(address: address, source: source(address), sorted: $0) }
        }
        return (entries, modelOrder == resolved ? nil : modelOrder)
    }

    static func receiver(of address: IPAddress, route: RouteAnswer?, candidates: [BindCheckCandidate],
                         addressDevices: [IPAddress: String] = [:], transport: TransportProtocol) -> AnswerReceiver {
        guard let route else { return .unreachable(RouteAnswer(kind: .unreachable, detail: "no route lookup")) }
        switch route.kind {
        case .local:
            let device = BindCheckKernel.arrivingDevice(of: address, addressDevices: addressDevices)
            return .local(BindCheckLookup.reception(of: address, arrivingOn: device, among: candidates, transport: transport))
        case .unicast: return .remote(route)
        case .unreachable: return .unreachable(route)
        }
    }

    /// Whether the probe found what the model said: a process among the owners of the model's
    /// receivers holds the accepted socket, or a refusal where the model said refused. nil when it
    /// cannot tell (a remote address, or an accepted socket no process holds yet).
    static func agrees(_ probe: ProbeResult, _ receiver: AnswerReceiver, sockets: [BindCheckSocket]) -> Bool? {
        switch (receiver, probe.outcome) {
        case let (.local(reception), .accepted):
            guard !reception.receivers.isEmpty else { return false }
            let acceptedOwners = Set(probe.acceptedBy?.ownership.owners.map(\.pid) ?? [])
            guard !acceptedOwners.isEmpty else { return nil }
            let modelOwners = reception.receivers.flatMap { id -> [Int32] in
                guard case let .existing(inode) = id else { return [] }
                return sockets.first { $0.inode == inode }?.ownership.owners.map(\.pid) ?? []
            }
            return !acceptedOwners.isDisjoint(with: modelOwners)
        case let (.local(reception), .refused): return reception.receivers.isEmpty
        case (.local, _): return false
        case (.unreachable, .failed), (.unreachable, .timedOut): return true
        case (.unreachable, _): return false
        case (.remote, _): return nil
        }
    }

    static func verdict(_ clients: [ClientRun], _ answers: [ConnectCheckAnswer]) -> ConnectCheckVerdict {
        let reached = clients.compactMap(\.reaches)
        if reached.isEmpty { return .nothingReachable }
        let destinations = Set(reached.map { address in receiverKey(answers.first { $0.address == address }?.receiver) })
        if destinations.count > 1 { return .split }
        if clients.contains(where: { $0.attempts.first.map { !$0.outcome.ends } ?? true }) { return .firstChoiceRefused }
        return .consistent
    }

    /// Receivers compared across clients: the sockets that take it.
    static func receiverKey(_ receiver: AnswerReceiver?) -> String {
        switch receiver {
        case let .local(reception)?: return reception.receivers.map { "\($0)" }.sorted().joined(separator: ",")
        // A remote host's addresses may all be one server: not counted as a split.
        case .remote?: return "remote"
        case .unreachable?, nil: return "none"
        }
    }
}
