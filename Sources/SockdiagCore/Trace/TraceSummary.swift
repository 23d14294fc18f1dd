/// Counts over a whole trace, for the summary line and `"event":"summary"`.
public struct TraceSummary: Hashable, Sendable {
    public private(set) var events = 0
    /// Counters in fixed slots: this runs once per event, and dictionaries hash every time.
    private var hookCounts = [Int](repeating: 0, count: TraceHook.allCases.count)
    private var classCounts = [Int](repeating: 0, count: AddressKind.allCases.count)
    /// Events per hook and class, hook-major.
    private var hookClassCounts = [Int](repeating: 0, count: TraceHook.allCases.count * AddressKind.allCases.count)
    private var egressCounts = [Int](repeating: 0, count: 4)
    private var outcomeCounts = [Int](repeating: 0, count: TraceOutcomeKind.allCases.count)
    /// Sockets (by cookie) that were AF_INET6 with an IPv4-mapped peer or bind address.
    public private(set) var mappedSockets: Set<UInt64> = []

    /// Events per hook, for the hooks seen.
    public var hooks: [TraceHook: Int] {
        Dictionary(uniqueKeysWithValues: TraceHook.allCases.enumerated().compactMap { hookCounts[$0] > 0 ? ($1, hookCounts[$0]) : nil })
    }

    /// Events per address class, for the classes seen.
    public var classes: [AddressKind: Int] {
        Dictionary(uniqueKeysWithValues: AddressKind.allCases.enumerated().compactMap { classCounts[$0] > 0 ? ($1, classCounts[$0]) : nil })
    }

    /// Events per hook and destination address class, for the pairs seen, in hook then class order.
    public var eventsByHookAndClass: [(hook: TraceHook, kind: AddressKind, count: Int)] {
        TraceHook.allCases.flatMap { hook in
            AddressKind.allCases.compactMap { kind in
                let count = hookClassCounts[hook.ordinal * AddressKind.allCases.count + kind.ordinal]
                return count > 0 ? (hook, kind, count) : nil
            }
        }
    }

    /// Outcomes per kind, every kind listed (zero when not seen).
    public var outcomes: [(kind: TraceOutcomeKind, count: Int)] {
        TraceOutcomeKind.allCases.map { ($0, outcomeCounts[$0.ordinal]) }
    }

    /// Sockets with at least one packet on egress, by socket family and wire protocol.
    public var egressSockets: [TraceEgressPair: Int] {
        var out: [TraceEgressPair: Int] = [:]
        for family in AddressFamily.allCases {
            for wire in TraceWireProtocol.allCases where egressCounts[Self.slot(family, wire)] > 0 {
                out[TraceEgressPair(family, wire)] = egressCounts[Self.slot(family, wire)]
            }
        }
        return out
    }

    private static func slot(_ family: AddressFamily, _ wire: TraceWireProtocol) -> Int {
        (family == .inet ? 0 : 2) + (wire == .ipv4 ? 0 : 1)
    }
    public private(set) var lessons: [TraceLesson: Int] = [:]
    public var counters = TraceCounters()
    /// The sockets the target held when the run started, and how long reading them took (nil when
    /// they were not read: `-- CMD`, or no BPF task iterator).
    public var existingSockets = 0
    public var existingReadNs: UInt64?
    /// Connects and sends rewritten by --redirect.
    public internal(set) var redirects = 0
    /// Sockets with packets dropped by --block-ipv6.
    public internal(set) var blockedSockets = 0

    public init() {}

    public var egressSocketCount: Int { egressCounts.reduce(0, +) }

    /// A dual-stack surprise was seen: the exit status becomes 1.
    public var sawSurprise: Bool { lessons.keys.contains { $0.isDualStackSurprise } || refusedFallbacks > 0 }
    /// Races where a refused family fell back to the other, which won: a dual-stack surprise even
    /// when one program serves both (it cost the client a round trip).
    public internal(set) var refusedFallbacks = 0
    /// Races settled (or cut short by the end of the trace), and which IP version won them.
    public internal(set) var races = 0
    public internal(set) var racesWonByIPv4 = 0
    public internal(set) var racesWonByIPv6 = 0
    /// The verdict of each race, for the summary (the first 20).
    public internal(set) var raceVerdicts: [TraceRaceVerdict] = []

    mutating func record(_ event: TraceEvent) {
        switch event {
        case let .socketCall(call): record(call: call, classification: call.classification)
        case let .egress(egress): record(egress: egress)
        case let .outcome(outcome): record(outcome: outcome)
        }
    }

    /// A call whose `classification` the caller has already worked out.
    mutating func record(call: TraceSocketCall, classification: AddressClassification) {
        events += 1
        hookCounts[call.hook.ordinal] += 1
        let kind = classification.kind
        classCounts[kind.ordinal] += 1
        hookClassCounts[call.hook.ordinal * AddressKind.allCases.count + kind.ordinal] += 1
        if kind == .ipv4Mapped && call.socketFamily == .inet6 { mappedSockets.insert(call.cookie) }
    }

    mutating func record(egress: TraceEgress) {
        if !egress.isFinal { egressCounts[Self.slot(egress.socketFamily, egress.wireProtocol)] += 1 }
    }

    mutating func record(outcome: TraceOutcome) {
        outcomeCounts[outcome.kind.ordinal] += 1
    }

    /// A socket all of whose packets a policy program dropped (--block-ipv6): it was counted at
    /// its first packet, which never left, so it sent nothing of that IP version.
    mutating func recordAllDropped(_ egress: TraceEgress) {
        let slot = Self.slot(egress.socketFamily, egress.wireProtocol)
        if egressCounts[slot] > 0 { egressCounts[slot] -= 1 }
    }

    mutating func record(_ lesson: TraceLesson) { lessons[lesson, default: 0] += 1 }

    mutating func record(_ race: TraceRace) {
        races += 1
        if race.isRefusedFallback { refusedFallbacks += 1 }
        switch race.winningFamily {
        case "ipv4": racesWonByIPv4 += 1
        case "ipv6": racesWonByIPv6 += 1
        default: break
        }
        if raceVerdicts.count < 20 { raceVerdicts.append(TraceRaceVerdict(group: race.group, verdict: race.verdict)) }
    }
}

/// A socket family and the IP version its packets used: `inet6/ipv4`.
public struct TraceEgressPair: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let socketFamily: AddressFamily
    public let wireProtocol: TraceWireProtocol

    public init(_ socketFamily: AddressFamily, _ wireProtocol: TraceWireProtocol) {
        self.socketFamily = socketFamily
        self.wireProtocol = wireProtocol
    }

    public var description: String { "\(socketFamily.rawValue)/\(wireProtocol.rawValue)" }
    /// `inet6_ipv4`: the JSON key.
    public var key: String { "\(socketFamily.rawValue)_\(wireProtocol.rawValue)" }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.description < rhs.description }
}

extension TraceHook {
    /// Position in `allCases`.
    var ordinal: Int {
        switch self {
        case .connect4: return 0
        case .connect6: return 1
        case .sendmsg4: return 2
        case .sendmsg6: return 3
        case .postBind4: return 4
        case .postBind6: return 5
        }
    }
}

extension TraceOutcomeKind {
    /// Position in `allCases`.
    var ordinal: Int {
        switch self {
        case .established: return 0
        case .refused: return 1
        case .unreachable: return 2
        case .timedOut: return 3
        case .aborted: return 4
        case .failed: return 5
        case .reset: return 6
        case .closed: return 7
        }
    }
}

extension AddressKind {
    /// Position in `allCases`.
    var ordinal: Int {
        switch self {
        case .ipv4: return 0
        case .ipv6: return 1
        case .ipv4Mapped: return 2
        case .ipv4Compatible: return 3
        case .nat64: return 4
        case .sixToFour: return 5
        case .teredo: return 6
        }
    }
}

/// One race's group and what decided it, as the summary lists it.
public struct TraceRaceVerdict: Hashable, Sendable {
    public let group: Int
    public let verdict: String
}
