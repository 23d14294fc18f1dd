/// Where the socket list came from.
public enum BindCheckSource: String, Hashable, Sendable {
    /// NETLINK_SOCK_DIAG with the port filtered in the kernel; shows IPV6_V6ONLY.
    case netlink
    /// /proc/net/{tcp,tcp6,udp,udp6}; IPV6_V6ONLY unknown.
    case proc
}

/// How socket owners were found.
public enum BindCheckOwnerSource: String, Hashable, Sendable {
    /// One BPF task-file iterator pass over every process's file table.
    case bpfIterator = "bpf_iter"
    /// readlink() of /proc/PID/fd/N, stopping once every socket has an owner.
    case procFd = "proc"
}

/// Whose clients a receivers table describes: the sockets that exist, or those plus the socket
/// about to be bound with a given IPV6_V6ONLY (nil for an IPv4 address).
public enum BindCheckScenario: Hashable, Sendable {
    case existing
    case afterBind(v6only: Bool?)

    public var key: String {
        switch self {
        case .existing: return "existing"
        case .afterBind(nil): return "after_bind"
        case let .afterBind(v6only?): return "after_bind_v6only_\(v6only ? 1 : 0)"
        }
    }

    public var title: String {
        switch self {
        case .existing: return "NOW"
        case .afterBind(nil): return "AFTER BIND"
        case let .afterBind(v6only?): return "AFTER BIND V6ONLY=\(v6only ? 1 : 0)"
        }
    }
}

public struct BindCheckReceiver: Hashable, Sendable {
    public let scenario: BindCheckScenario
    public let destination: IPAddress
    /// nil when the scenario's bind fails, so there is no after-bind state.
    public let reception: BindCheckReception?
}

public struct BindCheckFinding: Hashable, Sendable {
    public enum Severity: String, Hashable, Sendable {
        /// The bind fails.
        case error
        /// The bind works but clients go astray or are refused.
        case warning
        /// Worth knowing; not a problem by itself.
        case info
    }

    /// What a finding is about, for counting findings across a fleet (`--openmetrics`).
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// IPv4 and IPv6 clients of a port reach different processes.
        case splitFamilies = "split_families"
        /// IPv4 clients are refused: only an IPV6_V6ONLY [::] socket listens.
        case ipv4Refused = "ipv4_refused"
        /// One loopback family is served and the other refused ('localhost' may resolve to either).
        case loopbackFamilyRefused = "loopback_family_refused"
        /// Clients of one address are spread over several processes, or reach one of several groups.
        case spreadOverProcesses = "spread_over_processes"
        /// About binding the queried address (a single bind-check).
        case bind
    }

    public let kind: Kind
    public let severity: Severity
    public let message: String
    public let advice: String?

    public init(_ severity: Severity, _ message: String, advice: String? = nil, kind: Kind = .bind) {
        self.kind = kind
        self.severity = severity
        self.message = message
        self.advice = advice
    }

    public var isProblem: Bool { severity != .info }
}

/// Everything gathered from the system for one query, before analysis.
public struct BindCheckObservation: Sendable {
    public var query: BindCheckQuery
    public var system: BindCheckSystem
    public var source: BindCheckSource
    public var sockets: [BindCheckSocket]
    public var trials: [BindCheckTrialOutcome]
    /// The uid the trials ran as (SO_REUSEPORT shares only within one uid).
    public var trialUID: UInt32
    public var netns: String?
    public var ownerSource: BindCheckOwnerSource
    /// Ids of sk_lookup BPF programs attached in the namespace; nil when they could not be queried.
    public var socketLookupPrograms: [UInt32]? = nil

    public init(query: BindCheckQuery, system: BindCheckSystem, source: BindCheckSource, sockets: [BindCheckSocket],
                trials: [BindCheckTrialOutcome], trialUID: UInt32, netns: String?, ownerSource: BindCheckOwnerSource = .procFd) {
        self.ownerSource = ownerSource
        self.query = query
        self.system = system
        self.source = source
        self.sockets = sockets
        self.trials = trials
        self.trialUID = trialUID
        self.netns = netns
    }

    /// Why the socket list would miss a TCP socket that bound the port without listen() or
    /// connect(); nil when it shows them (sock_diag with TCPF_BOUND_INACTIVE, Linux 6.7 and later).
    public var boundInactiveBlindSpot: String? {
        guard query.transport == .tcp else { return nil }
        if source == .proc { return "/proc/net never lists those" }
        guard let release = system.kernelRelease, release < (6, 7) else { return nil }
        return "sock_diag lists those only since Linux 6.7 (ss --bound-inactive), and this is \(system.kernel)"
    }

    /// The receivers table's rows: the system's destinations, and the queried address itself when
    /// clients on this host can reach it (127.0.0.2 is on lo although only 127.0.0.1 is listed).
    public var destinations: [IPAddress] {
        var list = system.destinations
        let asked = query.address
        guard !asked.isUnspecified, !list.contains(where: { $0 == asked || $0.description == asked.description }) else { return list }
        let local: Bool
        switch asked.unmapped {
        case let .v4(a): local = a.scope == .loopback || system.ipv4Addresses.contains(a)
        case let .v6(a): local = system.ipv6Addresses.contains { $0.withoutZone == a.withoutZone }
        }
        if local { list.append(asked) }
        return list
    }
}

/// The analysed answer to one query.
public struct BindCheckReport: Sendable {
    public let observation: BindCheckObservation
    public let trials: [BindCheckTrial]
    public let scenarios: [BindCheckScenario]
    public let receivers: [BindCheckReceiver]
    public let findings: [BindCheckFinding]

    public var query: BindCheckQuery { observation.query }

    /// `ok`, or the first problem in one sentence.
    public var verdict: String { findings.first(where: \.isProblem)?.message ?? "ok" }

    public var exitStatus: ExitStatus { findings.contains(where: \.isProblem) ? .problemFound : .ok }

    public func socket(inode: UInt64) -> BindCheckSocket? { observation.sockets.first { $0.inode == inode } }

    /// `python3 (pid 42)`, `the new socket`, or `inode 123` when no owner is known.
    public func label(_ id: BindCheckReceiverID) -> String { BindCheckExistingRules.label(id, observation.sockets) }

    public func label(_ reception: BindCheckReception) -> String { BindCheckExistingRules.label(reception, observation.sockets) }

    public static func analyze(_ observation: BindCheckObservation) -> BindCheckReport {
        let defaultV6only = observation.system.bindv6only
        let trials = observation.trials.map {
            BindCheckTrial.explain($0, sockets: observation.sockets, trialUID: observation.trialUID, defaultV6only: defaultV6only,
                                   boundInactiveBlindSpot: observation.boundInactiveBlindSpot)
        }
        var scenarios: [BindCheckScenario] = []
        var receivers: [BindCheckReceiver] = []
        if observation.query.port.value != 0 {
            let existing = BindCheckReport.candidates(observation.sockets, defaultV6only: defaultV6only)
            let variants: [Bool?] = observation.query.address.family == .inet6 ? [false, true] : [nil]
            scenarios = [.existing] + variants.map { .afterBind(v6only: $0) }
            for scenario in scenarios {
                var candidates: [BindCheckCandidate]? = existing
                if case let .afterBind(v6only) = scenario {
                    if let trial = BindCheckReport.usableTrial(observation.trials, v6only: v6only) {
                        candidates = existing + [BindCheckReport.newCandidate(trial, uid: observation.trialUID)]
                    } else {
                        candidates = nil
                    }
                }
                for destination in observation.destinations {
                    let reception = candidates.map {
                        BindCheckReport.reception(of: destination, among: $0, system: observation.system, transport: observation.query.transport)
                    }
                    receivers.append(BindCheckReceiver(scenario: scenario, destination: destination, reception: reception))
                }
            }
        }
        var report = BindCheckReport(observation: observation, trials: trials, scenarios: scenarios,
                                     receivers: receivers, findings: [])
        report = BindCheckReport(observation: observation, trials: trials, scenarios: scenarios,
                                 receivers: receivers, findings: BindCheckAdvisor(report: report).findings())
        return report
    }

    /// Where a client on this host sending to `destination` lands: nowhere when its connect()
    /// fails on this host first, else where the listener lookup puts it. Every table and finding
    /// reads its receptions from here.
    public static func reception(of destination: IPAddress, among candidates: [BindCheckCandidate],
                                 system: BindCheckSystem, transport: TransportProtocol) -> BindCheckReception {
        if let why = system.unreachable(destination) { return .unreachable(why: why) }
        return BindCheckLookup.reception(of: destination, among: candidates, system: system, transport: transport)
    }

    /// The sockets new clients can reach, with unknown V6ONLY taken as the system default, each
    /// with its place in its lookup chain (BindCheckKernel.lookupChainPosition).
    public static func candidates(_ sockets: [BindCheckSocket], defaultV6only: Bool) -> [BindCheckCandidate] {
        let open = sockets.enumerated().filter { $0.element.acceptsNewClients }
        let connected = sockets.filter { $0.transport == .udp && $0.state == .established && $0.options?.reuseport == true }
        return open.map { index, socket in
            let b = socket.binding
            let binding = BindCheckBinding(family: b.family, address: b.address, v6only: b.v6only ?? defaultV6only)
            let hasConnections = socket.options?.reuseport == true && connected.contains {
                $0.family == socket.family && $0.local.address == socket.local.address && $0.uid == socket.uid
                    && $0.boundDevice == socket.boundDevice && ($0.v6only ?? defaultV6only) == (socket.v6only ?? defaultV6only)
            }
            return BindCheckCandidate(id: .existing(inode: socket.inode), binding: binding,
                                      boundDevice: socket.boundDevice, reuseport: socket.options?.reuseport, uid: socket.uid,
                                      chainPosition: BindCheckKernel.lookupChainPosition(of: socket) ?? index, groupHasConnections: hasConnections,
                                      incomingCPU: socket.options?.incomingCPU)
        }
    }

    /// The socket a program binding now adds: it enters its chain after every existing one.
    static func newCandidate(_ trial: BindCheckTrialOutcome, uid: UInt32) -> BindCheckCandidate {
        let binding = trial.request.binding
        return BindCheckCandidate(id: .newSocket, binding: binding, reuseport: trial.request.reuseport, uid: uid,
                                  chainPosition: BindCheckKernel.positionOfNewest(family: binding.family, reuseport: trial.request.reuseport))
    }

    /// The trial that stands for "the program binds": plain if that works, else the first that does.
    static func usableTrial(_ trials: [BindCheckTrialOutcome], v6only: Bool?) -> BindCheckTrialOutcome? {
        trials.first { $0.request.v6only == v6only && $0.succeeded }
    }

    public func receivers(for scenario: BindCheckScenario) -> [BindCheckReceiver] {
        receivers.filter { $0.scenario == scenario }
    }
}
