/// The human-readable report: aligned tables, then the verdict.
extension BindCheckReport {
    public func text(style: OutputStyle = .plain) -> String {
        let q = observation.query
        var out = style.bold("bind-check \(q.socketAddressText) \(q.transport.rawValue)")
        out += "  (sockets from \(observation.source == .netlink ? "netlink sock_diag" : "/proc/net")"
        if let netns = observation.netns { out += ", network namespace \(netns)" }
        out += ")\n\n"
        out += observation.system.text(style: style)
        let title = q.port.value == 0 ? "Listening sockets in the ephemeral range" : "Sockets on port \(q.port)"
        out += "\n" + style.bold("\(title) (\(observation.sockets.count))") + "\n"
        out += observation.sockets.isEmpty ? "  none\n" : BindCheckSocket.table(observation.sockets, style: style)
        out += "\n" + style.bold("Trial binds (real sockets, closed at once; run as uid \(observation.trialUID))") + "\n"
        var trialTable = TextTable(header: ["ADDRESS", "V6ONLY", "OPTIONS", "RESULT", "CONFLICTS WITH (INODE)"])
        var explanations: [String] = []
        for trial in trials {
            let r = trial.outcome.request
            var result = trial.outcome.resultName
            if case let .success(port) = trial.outcome.result, r.port.value == 0 { result += " (port \(port))" }
            if case let .failure(f) = trial.outcome.result, f.stage != .bind { result += " (\(f.stage.rawValue))" }
            if !trial.outcome.tried { result += " (predicted)" }
            let colored = trial.outcome.succeeded ? style.green(result) : style.red(result)
            let processHeld = trial.conflicts.filter { $0.inode != 0 }
            let kernelHeld = trial.conflicts.count - processHeld.count
            let conflictColumn = processHeld.map { String($0.inode) } + (kernelHeld > 0 ? ["\(kernelHeld) \(kernelHeldKind)"] : [])
            trialTable.append([SocketAddress(r.address, r.port).description, r.v6only.map { $0 ? "1" : "0" } ?? "-",
                               r.flagsLabel, colored, conflictColumn.joined(separator: ", ")])
            let prefix = "\(r.v6only.map { "V6ONLY=\($0 ? 1 : 0) " } ?? "")\(r.flagsLabel)"
            for c in processHeld { explanations.append("  \(prefix): inode \(c.inode): \(c.why)") }
            for c in trial.conflicts where c.inode == 0 { explanations.append("  \(prefix): \(kernelHeldKind): \(c.why)") }
            for n in trial.notes { explanations.append("  \(prefix): \(n)") }
        }
        out += trialTable.render(style: style)
        if !explanations.isEmpty { out += "Why:\n" + bindCheckUniqueLines(explanations).joined(separator: "\n") + "\n" }
        if !scenarios.isEmpty {
            out += "\n" + style.bold("Receivers: who gets a new \(q.transport == .tcp ? "connection" : "datagram") to port \(q.port)") + "\n"
            var table = TextTable(header: ["CLIENT DESTINATION"] + scenarios.map(\.title))
            for destination in observation.destinations {
                var row = [destination.description + (destination.description.hasPrefix("::ffff:") ? " (IPv4)" : "")]
                for scenario in scenarios {
                    let reception = receivers.first { $0.scenario == scenario && $0.destination == destination }?.reception
                    row.append(reception.map { label($0) } ?? "bind fails")
                }
                table.append(row)
            }
            out += table.render(style: style)
            let unreachable = receivers.compactMap { r -> String? in
                guard case let .unreachable(why)? = r.reception else { return nil }
                return "  \(r.destination): \(why)"
            }
            out += bindCheckUniqueLines(unreachable).map { $0 + "\n" }.joined()
        }
        out += "\n" + BindCheckReport.verdictText(verdict: verdict, findings: findings, kernel: observation.system.kernel, style: style)
        return out
    }

    static func verdictText(verdict: String, findings: [BindCheckFinding], kernel: String, style: OutputStyle) -> String {
        var out = style.bold(kernel.isEmpty ? "Verdict: " : "Verdict (Linux \(kernel)): ") + (verdict == "ok" ? style.green("ok") : style.red(verdict)) + "\n"
        var rest = findings[...]
        // The verdict is the first problem's message: said once, with that finding's advice under it.
        if let index = rest.firstIndex(where: { $0.isProblem && $0.message == verdict }) {
            if let advice = rest[index].advice, !advice.isEmpty { out += "  advice: \(advice)\n" }
            rest.remove(at: index)
        }
        for f in rest {
            let tag = f.severity == .error ? style.red("error") : f.severity == .warning ? style.yellow("warning") : style.dim("info")
            out += "  \(tag): \(f.message)\n"
            if let advice = f.advice, !advice.isEmpty { out += "    advice: \(advice)\n" }
        }
        return out
    }
}

extension BindCheckReport {
    /// `37 TIME-WAIT sockets (closed connections the kernel holds for 60 s, no process)`: the
    /// conflicts with sockets no process owns (inode 0), counted instead of listed one by one.
    func kernelHeldConflicts(_ trial: BindCheckTrial) -> String? {
        let count = trial.conflicts.filter { $0.inode == 0 }.count
        guard count > 0 else { return nil }
        let plural = count == 1 ? "socket" : "sockets"
        let note = kernelHeldKind == "TIME-WAIT" ? "closed connections the kernel keeps for 60 s, no process" : "no process"
        return "\(count) \(kernelHeldKind) \(plural) (\(note))"
    }

    /// `TIME-WAIT` (or `SYN-RECV/TIME-WAIT`): the states of the port's sockets that no process owns.
    var kernelHeldKind: String {
        let states = Set(observation.sockets.filter { $0.inode == 0 }.map { $0.state.name(for: $0.transport) }).sorted()
        return states.isEmpty ? "kernel-held" : states.joined(separator: "/")
    }
}

/// Keeps the first of equal lines, in order.
func bindCheckUniqueLines(_ lines: [String]) -> [String] {
    var seen: Set<String> = []
    return lines.filter { seen.insert($0).inserted }
}

extension BindCheckSystem {
    public func text(style: OutputStyle) -> String {
        var table = TextTable()
        table.append(["  net.ipv6.bindv6only = \(bindv6only ? 1 : 0)",
                      "a new AF_INET6 socket starts with IPV6_V6ONLY=\(bindv6only ? "1 (IPv6 only)" : "0 (dual-stack: it also takes IPv4)")"])
        var ipv6 = ipv6Disabled ? "disabled (net.ipv6.conf.all.disable_ipv6=1)"
            : ipv6Addresses.isEmpty ? "enabled, but no IPv6 address is configured" : "usable: " + ipv6Addresses.map(\.description).joined(separator: ", ")
        if ipv6DisabledOnLoopback && !ipv6Disabled { ipv6 += "; disabled on lo (net.ipv6.conf.lo.disable_ipv6=1): no local IPv6 client gets through" }
        table.append(["  IPv6", ipv6])
        table.append(["  IPv4", ipv4Addresses.isEmpty ? "no address" : ipv4Addresses.map(\.description).joined(separator: ", ")])
        let range = ephemeralRange.map { "\($0.lowerBound)-\($0.upperBound)" } ?? "unknown"
        table.append(["  ephemeral ports", range + (reservedPorts.isEmpty ? "" : " (reserved: \(reservedPorts))")])
        return style.bold("System") + "\n" + table.render(separator: "   ")
    }
}

extension BindCheckSocket {
    /// `reuseaddr,reuseport,dev=lo`, `-` when none is set, `?` when they could not be read.
    var flagsLabel: String {
        guard let options else { return "?" }
        var flags: [String] = []
        if options.reuseaddr { flags.append("reuseaddr") }
        if options.reuseport { flags.append("reuseport") }
        if let device = options.boundDevice { flags.append("dev=\(device)") }
        return flags.isEmpty ? "-" : flags.joined(separator: ",")
    }

    static func table(_ sockets: [BindCheckSocket], style: OutputStyle) -> String {
        var table = TextTable(header: ["FAMILY", "STATE", "LOCAL", "REMOTE", "V6ONLY", "FLAGS", "UID", "INODE", "OWNER"])
        var commandLines: [Int32: String] = [:]
        for s in sockets {
            let remote = s.remote.address.isUnspecified && s.remote.port.value == 0 ? "*:*" : s.remote.description
            let v6only = s.family == .inet ? "-" : s.v6only.map { $0 ? "yes" : "no" } ?? "?"
            table.append([s.family.rawValue, s.state.name(for: s.transport), s.local.description, remote, v6only,
                          s.flagsLabel, String(s.uid), String(s.inode), s.ownerLabel])
            for owner in s.ownership.owners { commandLines[owner.pid] = owner.cmdline }
        }
        var out = table.render(style: style)
        for (pid, cmdline) in commandLines.sorted(by: { $0.key < $1.key }) where !cmdline.isEmpty {
            let oneLine = PrintableText.of(String(cmdline.map { $0.isNewline || $0 == "\t" ? " " : $0 }))
            out += style.dim("  pid \(pid): \(oneLine)") + "\n"
        }
        return out
    }
}
