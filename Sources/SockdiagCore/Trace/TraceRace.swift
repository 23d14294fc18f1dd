/// One connect attempt of a Happy Eyeballs race (RFC 8305): a TCP connect from one process to one
/// port, and the outcome of its connect once known.
public struct TraceRaceAttempt: Hashable, Sendable {
    public let cookie: UInt64
    /// The peer as the program passed it.
    public let remote: SocketAddress
    /// The IP version on the wire: a mapped peer of an AF_INET6 socket is IPv4.
    public let isIPv6: Bool
    public let startNs: UInt64
    public var outcome: TraceOutcome?

    public init(cookie: UInt64, remote: SocketAddress, isIPv6: Bool, startNs: UInt64, outcome: TraceOutcome? = nil) {
        self.cookie = cookie
        self.remote = remote
        self.isIPv6 = isIPv6
        self.startNs = startNs
        self.outcome = outcome
    }

    public var familyName: String { isIPv6 ? "IPv6" : "IPv4" }

    /// `[::1]:3000 refused after 0.1 ms`
    public var summary: String {
        guard let outcome else { return "\(remote) had no outcome yet" }
        var text = "\(remote) \(outcome.kind.rawValue) after \(TraceOutcome.duration(outcome.elapsedNs))"
        if let error = outcome.error, outcome.kind != .timedOut { text += " (\(error.name))" }
        return text
    }
}

/// The attempts of one process to one port over both IP versions, close together in time: one
/// Happy Eyeballs race, or a fallback from one family to the other.
public struct TraceRace: Hashable, Sendable {
    public let group: Int
    public let pid: Int32
    public let comm: String
    public let port: Port
    public internal(set) var attempts: [TraceRaceAttempt]
    /// Where the winner's connection arrived, looked up when the race settles (set by the caller,
    /// which can read the system's sockets): which process took it, as bind-check would say.
    public var winnerListener: TraceListener?
    /// Every listener on the port, read with the winner's; nil when not read.
    public var portListeners: [TraceListener]?

    public init(group: Int, pid: Int32, comm: String, port: Port, attempts: [TraceRaceAttempt]) {
        self.group = group
        self.pid = pid
        self.comm = comm
        self.port = port
        self.attempts = attempts
    }

    public var startNs: UInt64 { attempts.map(\.startNs).min() ?? 0 }
    public var winner: TraceRaceAttempt? { attempts.first { $0.outcome?.kind == .established } }
    public var losers: [TraceRaceAttempt] { attempts.filter { $0.outcome?.kind != .established } }
    /// Every attempt has its connect outcome.
    public var isSettled: Bool { attempts.allSatisfy { $0.outcome != nil } }

    /// Listeners of other programs on the port than the one the fallback reached: the port is
    /// split, and the client's families reach different programs. Empty when the reached
    /// listener's process is unknown (nothing to compare) or it is the port's only program.
    public var otherPrograms: [TraceListener] {
        guard let reached = winnerListener?.pid, let all = portListeners else { return [] }
        return all.filter { $0.pid != nil && $0.pid != reached }
    }

    /// A family was refused and the other won (the exit status says so, split port or not).
    public var isRefusedFallback: Bool {
        guard let winner else { return false }
        return losers.contains { $0.isIPv6 != winner.isIPv6 && $0.outcome?.kind == .refused }
    }

    /// `ipv4`, `ipv6`, or nil when no attempt was established.
    public var winningFamily: String? { winner.map { $0.isIPv6 ? "ipv6" : "ipv4" } }

    /// `Happy Eyeballs: [::1]:3000 refused after 0.1 ms, 127.0.0.1:3000 established after 0.2 ms`
    public var headline: String {
        "Happy Eyeballs: " + attempts.map(\.summary).joined(separator: ", ")
    }

    /// Which family won and why the other lost, in a sentence.
    public var verdict: String {
        guard let winner else {
            return "no family won: " + attempts.map { "\($0.familyName) \($0.outcome?.kind.rawValue ?? "pending")" }.joined(separator: ", ")
        }
        let why = losers.filter { $0.isIPv6 != winner.isIPv6 }.map { loser -> String in
            guard let outcome = loser.outcome else { return "\(loser.familyName) had no answer yet" }
            switch outcome.kind {
            case .refused: return "\(loser.familyName) was refused (nothing listens on \(loser.remote))"
            case .unreachable: return "\(loser.familyName) was unreachable (\(outcome.error?.name ?? "ICMP error"))"
            case .timedOut: return "\(loser.familyName) timed out (\(1 + (outcome.synRetransmits ?? 0)) SYNs unanswered)"
            case .aborted where outcome.error != nil:
                return "\(loser.familyName) was given up after \(TraceOutcome.duration(outcome.elapsedNs)) with an ICMP error (\(outcome.error!.name)) already in"
            case .failed: return "\(loser.familyName) failed before any SYN left (\(outcome.error.map { "\($0.name): no route" } ?? "no SYN sent"))"
            case .aborted: return "\(loser.familyName) was given up after \(TraceOutcome.duration(outcome.elapsedNs)) with its SYN unanswered"
            default: return "\(loser.familyName) \(outcome.kind.rawValue)"
            }
        }
        var text = "\(winner.familyName) won"
        if !why.isEmpty { text += ": " + Array(Set(why)).sorted().joined(separator: "; ") }
        if let listener = winnerListener {
            text += "; \(winner.remote) reached \(listener.description)"
            let others = otherPrograms
            if !others.isEmpty {
                text += ", not " + others.map(\.description).joined(separator: ", ") + " (port \(port.value) is split between programs)"
            } else if listener.pid != nil, portListeners != nil {
                text += ", the only program on port \(port.value)"
            }
        }
        return text
    }

    /// What this race teaches, in the order the lessons are listed.
    public var lessons: [TraceLesson] {
        guard let winner else { return [] }
        var found: [TraceLesson] = []
        for loser in losers where loser.isIPv6 != winner.isIPv6 {
            guard let outcome = loser.outcome else { continue }
            switch outcome.kind {
            case .aborted where outcome.error != nil: found.append(.abortedAfterICMP)
            case .aborted where (outcome.synRetransmits ?? 0) == 0: found.append(.attemptTimeout)
            case .refused where !otherPrograms.isEmpty: found.append(.refusedFallback)
            default: break
            }
        }
        return TraceLesson.allCases.filter(found.contains)
    }
}

/// The process holding the listening socket a connection reached.
public struct TraceListener: Hashable, Sendable, CustomStringConvertible {
    public let local: SocketAddress
    public let pid: Int32?
    public let comm: String?

    public init(local: SocketAddress, pid: Int32?, comm: String?) {
        self.local = local
        self.pid = pid
        self.comm = comm
    }

    public var description: String {
        let owner = pid.map { "\(comm ?? "?") (pid \($0))" } ?? "a process sockdiag cannot see"
        return "\(owner) listening on \(local)"
    }
}

/// Groups a trace's TCP connects into races as they come: a connect joins an earlier attempt of
/// the same process to the same port over the other IP version when that attempt is still
/// waiting for its answer, or failed or started within `window`. Constant work per event: per
/// process and port only the latest attempt of each IP version is kept, and the open race.
public struct TraceRaceTracker: Sendable {
    public let windowNs: UInt64
    private var latest: [Key: Latest] = [:]
    private var keyOfCookie: [UInt64: Key] = [:]
    private var open: [Int: TraceRace] = [:]
    private var nextGroup = 1
    private let limit: Int

    private struct Key: Hashable, Sendable {
        let pid: Int32
        let port: UInt16
    }

    /// A process's latest attempt of one IP version, kept small: it is read and written at every
    /// connect and outcome of the process's port, and most never race. The outcome itself is
    /// kept only when it failed, the one case a later connect can race with it.
    private struct Attempt: Sendable {
        let cookie: UInt64
        let remote: SocketAddress
        let startNs: UInt64
        var end: End = .pending

        enum End: Sendable {
            case pending
            case established
            case failed(FailedOutcome)
        }

        func raceAttempt(isIPv6: Bool) -> TraceRaceAttempt {
            guard case let .failed(failed) = end else {
                return TraceRaceAttempt(cookie: cookie, remote: remote, isIPv6: isIPv6, startNs: startNs)
            }
            return TraceRaceAttempt(cookie: cookie, remote: remote, isIPv6: isIPv6, startNs: startNs, outcome: failed.outcome)
        }
    }

    /// A failed attempt's outcome, boxed so an `Attempt` stays a few words.
    private final class FailedOutcome: Sendable {
        let outcome: TraceOutcome
        init(_ outcome: TraceOutcome) { self.outcome = outcome }
    }

    private struct Latest: Sendable {
        var ipv4: Attempt?
        var ipv6: Attempt?
        var group: Int?
    }

    public init(windowNs: UInt64 = 2_000_000_000, limit: Int = 1 << 16) {
        self.windowNs = windowNs
        self.limit = limit
    }

    /// A TCP connect; returns its race's group when it joins or starts one.
    public mutating func connect(_ call: TraceSocketCall) -> Int? {
        guard call.hook.call == .connect, call.transport == .tcp else { return nil }
        let key = Key(pid: call.pid, port: call.port.value)
        let remote = SocketAddress(call.address, call.port)
        let isIPv6: Bool
        if case let .v6(v6) = remote.address { isIPv6 = v6.unmapped == nil } else { isIPv6 = false }
        let attempt = Attempt(cookie: call.cookie, remote: remote, startNs: call.timeNs)
        if latest.count >= limit { latest.removeAll(keepingCapacity: true); keyOfCookie.removeAll(keepingCapacity: true) }
        let index: Dictionary<Key, Latest>.Index
        if let found = latest.index(forKey: key) {
            index = found
        } else {
            latest[key] = Latest()
            index = latest.index(forKey: key)!
        }
        let entry = latest.values[index]
        var group: Int? = nil
        if let open = entry.group, self.open[open] != nil {
            group = open
            self.open[open]!.attempts.append(attempt.raceAttempt(isIPv6: isIPv6))
        } else if let other = isIPv6 ? entry.ipv4 : entry.ipv6, isRacing(other, now: call.timeNs) {
            group = nextGroup
            nextGroup += 1
            open[group!] = TraceRace(group: group!, pid: call.pid, comm: call.comm, port: call.port,
                                     attempts: [other.raceAttempt(isIPv6: !isIPv6), attempt.raceAttempt(isIPv6: isIPv6)])
            latest.values[index].group = group
        }
        if let replaced = isIPv6 ? entry.ipv6 : entry.ipv4 { keyOfCookie[replaced.cookie] = nil }
        if isIPv6 { latest.values[index].ipv6 = attempt } else { latest.values[index].ipv4 = attempt }
        keyOfCookie[call.cookie] = key
        return group
    }

    private func isRacing(_ other: Attempt, now: UInt64) -> Bool {
        switch other.end {
        case .pending: return now &- other.startNs <= windowNs * 30
        case .established: return false
        case let .failed(failed): return now &- failed.outcome.timeNs <= windowNs
        }
    }

    /// A connect outcome; returns the race the socket is in (its group) and the race itself once
    /// every attempt has its outcome.
    public mutating func outcome(_ outcome: TraceOutcome) -> (group: Int?, settled: TraceRace?) {
        guard outcome.kind.endsConnect, outcome.transport == .tcp, let key = keyOfCookie[outcome.cookie],
              let index = latest.index(forKey: key) else { return (nil, nil) }
        let end: Attempt.End = outcome.kind.isFailure ? .failed(FailedOutcome(outcome)) : .established
        if latest.values[index].ipv4?.cookie == outcome.cookie { latest.values[index].ipv4?.end = end }
        if latest.values[index].ipv6?.cookie == outcome.cookie { latest.values[index].ipv6?.end = end }
        var result: (group: Int?, settled: TraceRace?) = (nil, nil)
        if let group = latest.values[index].group, var race = open[group],
           let attempt = race.attempts.firstIndex(where: { $0.cookie == outcome.cookie }) {
            race.attempts[attempt].outcome = outcome
            result.group = group
            if race.isSettled {
                open[group] = nil
                latest.values[index].group = nil
                result.settled = race
            } else {
                open[group] = race
            }
        }
        return result
    }

    /// Races still waiting for an outcome when the trace ends.
    public mutating func finish() -> [TraceRace] {
        defer { open.removeAll() }
        return open.values.sorted { $0.group < $1.group }
    }
}

extension TraceListener {
    /// The listening socket a TCP connection to `destination` reaches, picked by bind-check's
    /// listener lookup (BindCheckKernel: chain order, score, devices, reuseport groups) for a
    /// client whose packets arrive on `device`. nil when nobody listens, or when a reuseport group
    /// spreads connections by hash (no single socket can be named then).
    public static func receiver(of destination: SocketAddress, among sockets: [BindCheckSocket],
                                arrivingOn device: String = BindCheckKernel.loopbackDevice,
                                defaultV6only: Bool = false) -> BindCheckSocket? {
        let onPort = sockets.filter { $0.transport == .tcp && $0.local.port == destination.port }
        let candidates = BindCheckReport.candidates(onPort, defaultV6only: defaultV6only)
        let reception = BindCheckLookup.reception(of: destination.address, arrivingOn: device, among: candidates, transport: .tcp)
        guard case let .one(.existing(inode), _) = reception else { return nil }
        return onPort.first { $0.inode == inode }
    }
}
