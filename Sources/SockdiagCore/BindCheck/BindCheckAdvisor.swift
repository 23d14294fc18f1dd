/// Turns trials and receivers into findings: what goes wrong, in one sentence, and what to do.
struct BindCheckAdvisor {
    let report: BindCheckReport

    var query: BindCheckQuery { report.query }
    var system: BindCheckSystem { report.observation.system }
    var target: String { query.socketAddressText }

    func findings() -> [BindCheckFinding] {
        var findings: [BindCheckFinding] = []
        let defaultVariant: Bool? = query.address.family == .inet6 ? system.bindv6only : nil
        if let failure = defaultTrialFailure(defaultVariant) {
            findings.append(failure)
            if let note = otherSystemsNote(defaultVariant) { findings.append(note) }
        }
        if query.port.value == 0 {
            findings += ephemeralFindings()
        } else {
            findings += afterBindFindings(v6only: defaultVariant, severity: .warning)
            if let defaultVariant {
                let other = afterBindFindings(v6only: !defaultVariant, severity: .info)
                findings += other.map { BindCheckFinding(.info, $0.message, advice: $0.advice, kind: $0.kind) }
            }
            let existing = BindCheckReport.candidates(report.observation.sockets, defaultV6only: system.bindv6only)
            let now = report.receivers(for: .existing).compactMap { r in r.reception.map { (destination: r.destination, reception: $0) } }
            findings += BindCheckExistingRules.findings(receptions: now, candidates: existing, sockets: report.observation.sockets)
        }
        if let programs = report.observation.socketLookupPrograms, !programs.isEmpty {
            findings.append(BindCheckFinding(.warning,
                "An sk_lookup BPF program (id \(programs.map(String.init).joined(separator: ", "))) is attached in this network namespace: it picks the socket for each new connection before the listener lookup, so the receivers above hold only where it lets them",
                advice: "bpftool prog show id \(programs[0]) tells which program it is"))
        }
        if query.address.family == .inet6 && !system.ipv6Usable {
            findings.append(BindCheckFinding(.info, system.ipv6Disabled ? "IPv6 is disabled (net.ipv6.conf.all.disable_ipv6=1)" : "no IPv6 address is configured, not even ::1"))
        }
        return findings.sorted { order($0.severity) < order($1.severity) }
    }

    private func order(_ severity: BindCheckFinding.Severity) -> Int {
        switch severity { case .error: return 0; case .warning: return 1; case .info: return 2 }
    }

    private func v6onlyText(_ v6only: Bool?) -> String {
        guard let v6only else { return "" }
        return " with IPV6_V6ONLY=\(v6only ? 1 : 0)" + (v6only == system.bindv6only ? " (the system default)" : "")
    }

    /// The sockets a trial conflicts with; the kernel's own (TIME-WAIT, inode 0) counted as one group.
    private func holders(_ trial: BindCheckTrial) -> String {
        var named = trial.conflicts.filter { $0.inode != 0 }.map { conflict in
            guard let socket = report.socket(inode: conflict.inode) else { return "inode \(conflict.inode)" }
            return "\(socket.local) (\(socket.state.name(for: socket.transport)), \(socket.ownership.owners.isEmpty ? "inode \(socket.inode)" : socket.ownerLabel))"
        }
        if let group = report.kernelHeldConflicts(trial) { named.append(group) }
        return named.joined(separator: ", ")
    }

    private func defaultTrialFailure(_ v6only: Bool?) -> BindCheckFinding? {
        guard let trial = report.trials.first(where: { $0.outcome.request.v6only == v6only && !$0.outcome.request.reuseaddr && !$0.outcome.request.reuseport }),
              let errno = trial.outcome.errno else { return nil }
        var message = "Binding \(target)\(v6onlyText(v6only)) fails with \(errno.name)"
        if !trial.conflicts.isEmpty { message += ": it conflicts with \(holders(trial))" }
        else if let note = trial.notes.first { message += ": \(note)" }
        var advice: [String] = []
        if errno == .addressInUse {
            if v6only == false, report.trials.contains(where: { $0.outcome.request.v6only == true && $0.outcome.succeeded && !$0.outcome.request.reuseport && !$0.outcome.request.reuseaddr }) {
                let split = report.receivers(for: .afterBind(v6only: true)).first { $0.destination == .v4(.loopback) }?.reception
                let whoGetsIPv4 = split.map { report.label($0) } ?? "another socket"
                advice.append("IPV6_V6ONLY=1 would let the bind succeed, but IPv4 clients to 127.0.0.1 would then reach \(whoGetsIPv4), not this program")
            }
            if report.trials.contains(where: { $0.outcome.request.v6only == v6only && $0.outcome.request.reuseport && $0.outcome.succeeded }) {
                advice.append("SO_REUSEPORT on every socket lets them share the port, and the kernel then spreads clients between them")
            } else if let otherUID = reuseportHeldByAnotherUID(trial) {
                advice.append(otherUID)
            }
            if !trial.conflicts.isEmpty && trial.conflicts.allSatisfy({ $0.inode == 0 }) {
                advice.append("wait: TIME-WAIT sockets go away within 60 s; a server that sets SO_REUSEADDR before bind() can rebind over its own at once")
            } else {
                advice.append("pick another port, or stop the holder")
            }
        }
        return BindCheckFinding(.error, message, advice: advice.joined(separator: "; "))
    }

    /// Every socket that blocks the plain bind set SO_REUSEPORT, but under another uid: a program
    /// running as that uid could join them, this one cannot.
    private func reuseportHeldByAnotherUID(_ plain: BindCheckTrial) -> String? {
        let uid = report.observation.trialUID
        let v6only = plain.outcome.request.v6only
        guard !plain.conflicts.isEmpty,
              report.trials.contains(where: { $0.outcome.request.v6only == v6only && $0.outcome.request.reuseport && $0.outcome.errno == .addressInUse })
        else { return nil }
        let holders = plain.conflicts.compactMap { report.socket(inode: $0.inode) }
        guard holders.count == plain.conflicts.count,
              holders.allSatisfy({ $0.options?.reuseport == true && $0.uid != uid && $0.state != .timeWait }) else { return nil }
        let uids = Set(holders.map(\.uid)).sorted()
        let named = uids.map { "uid \($0)" }.joined(separator: " and ")
        let joinable = uids.count == 1 ? "; a program running as \(named) with SO_REUSEPORT could share the port" : ""
        return "SO_REUSEPORT does not help uid \(uid): \(holders.count == 1 ? "the holder" : "the holders") set it as \(named), and a SO_REUSEPORT group never crosses uids\(joinable)"
    }

    /// macOS lets a dual-stack `[::]:P` coexist with a socket on a specific IPv4 address and hands
    /// IPv4 clients of that address to the more specific socket: the same program that fails here
    /// "works" on a laptop while its IPv4 clients reach someone else. Windows gets there by another
    /// road: its AF_INET6 sockets start with IPV6_V6ONLY on, so `[::]:P` never touches IPv4.
    private func otherSystemsNote(_ v6only: Bool?) -> BindCheckFinding? {
        guard v6only == false, query.address.isUnspecified, query.address.family == .inet6,
              let trial = report.trials.first(where: { $0.outcome.request.v6only == false && $0.outcome.errno == .addressInUse }),
              !trial.conflicts.isEmpty else { return nil }
        let specific = trial.conflicts.compactMap { report.socket(inode: $0.inode) }
            .filter { $0.binding.ipv4Side.map { $0 != .any } ?? false }
        guard specific.count == trial.conflicts.count, let first = specific.first else { return nil }
        let who = first.ownership.owners.isEmpty ? "inode \(first.inode)" : first.ownerLabel
        return BindCheckFinding(.info, "On macOS the same bind succeeds, and IPv4 clients of \(first.local.address.unmapped) then reach \(who), the more specific socket: that is where this flake usually shows. On Windows, where IPV6_V6ONLY starts on, [::]:\(query.port) binds beside it as an IPv6-only socket, and IPv4 clients reach \(who) too")
    }

    /// Clients that the new socket should get but another socket gets, or that nobody gets.
    private func afterBindFindings(v6only: Bool?, severity: BindCheckFinding.Severity) -> [BindCheckFinding] {
        let scenario = BindCheckScenario.afterBind(v6only: v6only)
        guard let trial = BindCheckReport.usableTrial(report.observation.trials, v6only: v6only) else { return [] }
        let mine = trial.request.binding
        var findings: [BindCheckFinding] = []
        for receiver in report.receivers(for: scenario) {
            guard let reception = receiver.reception else { continue }
            let destination = receiver.destination
            let isIPv4 = destination.unmapped.family == .inet
            let me = [BindCheckCandidate(id: .newSocket, binding: mine)]
            let covered = !BindCheckLookup.reception(of: destination, among: me, system: system, transport: query.transport).receivers.isEmpty
            let others = reception.receivers.filter { $0 != .newSocket }
            let clients = "\(isIPv4 ? "IPv4" : "IPv6") clients to \(destination)"
            if covered {
                guard !others.isEmpty else { continue }
                let who = others.map(report.label).joined(separator: ", ")
                if reception.receivers.contains(.newSocket) {
                    findings.append(BindCheckFinding(severity, "After binding \(target)\(v6onlyText(v6only)), \(clients) would be shared with \(who): \(reception.why)",
                                                     advice: "make sure every process in the group serves the same thing, or pick another port"))
                } else {
                    findings.append(BindCheckFinding(severity, "After binding \(target)\(v6onlyText(v6only)), \(clients) would reach \(who), not this program: \(reception.why)",
                                                     advice: "pick another port, or stop \(who)"))
                }
            } else if mine.address.isUnspecified && mine.family == .inet6 && isIPv4 && destination == .v4(.loopback) {
                // A V6ONLY [::] bind: the Spotify story. IPv4 clients land elsewhere or nowhere.
                let advice = "set IPV6_V6ONLY=0 (dual-stack), or bind 0.0.0.0:\(query.port) as well"
                if others.isEmpty {
                    findings.append(BindCheckFinding(severity, "After binding \(target)\(v6onlyText(v6only)), \(clients) would be refused: a V6ONLY socket takes no IPv4", advice: advice))
                } else {
                    findings.append(BindCheckFinding(severity, "After binding \(target)\(v6onlyText(v6only)), \(clients) would reach \(others.map(report.label).joined(separator: ", ")), not this program: a V6ONLY socket takes no IPv4", advice: advice))
                }
            } else if mine.family == .inet && !isIPv4 && destination == .v6(.loopback) && (mine.address.isUnspecified || mine.address == .v4(.loopback)) && !others.isEmpty {
                findings.append(BindCheckFinding(severity, "After binding \(target), IPv6 clients to ::1 ('localhost' on most systems) would reach \(others.map(report.label).joined(separator: ", ")), not this program",
                                                 advice: "bind [::]:\(query.port) (or [::1]) as well, or pick a port that is free for both families"))
            }
        }
        return findings
    }

    /// Port 0: the kernel picks a port that conflicts with nothing, but "nothing" depends on V6ONLY.
    private func ephemeralFindings() -> [BindCheckFinding] {
        guard let range = system.ephemeralRange else { return [] }
        let listeners = report.observation.sockets.filter(\.acceptsNewClients)
        var findings: [BindCheckFinding] = []
        if query.address.family == .inet6 {
            let ipv4Held = Set(listeners.filter { $0.binding.ipv4Side != nil && $0.family == .inet }.map(\.local.port.value)).sorted()
            if !ipv4Held.isEmpty {
                let list = ipv4Held.prefix(10).map(String.init).joined(separator: ", ") + (ipv4Held.count > 10 ? ", …" : "")
                let severity: BindCheckFinding.Severity = system.bindv6only ? .warning : .info
                findings.append(BindCheckFinding(severity,
                    "With IPV6_V6ONLY=1 the kernel may give [::]:0 a port where an IPv4 socket already listens (\(ipv4Held.count) in \(range.lowerBound)-\(range.upperBound): \(list)); IPv4 clients of that port would reach the other process",
                    advice: "bind 0.0.0.0:0 first and then [::] on the port it got, or keep IPV6_V6ONLY=0"))
            }
        }
        return findings
    }
}
