/// The human-readable report: resolution, receivers, clients, verdict.
extension ConnectCheckReport {
    public func text(style: OutputStyle = .plain) -> String {
        let o = observation
        var out = style.bold("connect-check \(o.query.text) \(o.query.transport.rawValue)")
        out += "  (hosts: \(o.nameServices.services.joined(separator: " ")); order: \(table.origin ?? "glibc built-in table")"
        if let netns = o.netns { out += "; network namespace \(netns)" }
        out += ")\n\n"

        out += style.bold("Resolution (getaddrinfo AF_UNSPEC, AI_ADDRCONFIG)") + "\n"
        var resolutionTable = TextTable(header: ["#", "ADDRESS", "FROM", "PREC", "LABEL", "WHY HERE"])
        for (i, entry) in resolution.enumerated() {
            resolutionTable.append([String(i + 1), entry.address.description, entry.source.text, String(entry.sorted.precedence),
                                    String(entry.sorted.label), entry.sorted.why])
        }
        out += resolution.isEmpty ? "  no answers\n" : resolutionTable.render(style: style)
        for family in droppedByAddrconfig {
            out += "  AI_ADDRCONFIG dropped \(family == .inet6 ? "IPv6" : "IPv4"): no non-loopback \(family == .inet6 ? "IPv6" : "IPv4") address here\n"
        }

        out += "\n" + style.bold("Receivers of port \(o.query.port)") + "\n"
        var receivers = TextTable(header: ["ADDRESS", "RECEIVER", "WHY"] + (o.probes != nil ? ["PROBE"] : []))
        for answer in answers {
            var row = [answer.address.description, receiverLabel(answer), receiverWhy(answer)]
            if o.probes != nil { row.append(probeText(answer, style: style)) }
            receivers.append(row)
        }
        out += receivers.render(style: style)

        out += "\n" + style.bold("Clients") + "\n"
        var clientTable = TextTable(header: ["CLIENT", "ATTEMPTS", "REACHES"])
        for run in clients {
            let attempts = run.attempts.map { "\(connectAddress($0.address, run.client)) \($0.outcome.rawValue)" }.joined(separator: ", ")
            let reaches = run.reaches.map { address -> String in
                let target = connectAddress(address, run.client)
                if case .local? = answer(address)?.receiver, let found = answer(address) { return "\(receiverLabel(found)) via \(target)" }
                return "the remote host \(target)"
            } ?? style.red("fails")
            clientTable.append([run.client.title, attempts.isEmpty ? "-" : attempts, reaches])
        }
        out += clientTable.render(style: style)

        let verdictText = verdict == .consistent ? style.green("consistent: every client reaches the same receiver at its first attempt")
                                                 : style.red(verdict.rawValue.replacingUnderscores)
        out += "\n" + style.bold(o.kernel.isEmpty ? "Verdict: " : "Verdict (Linux \(o.kernel)): ") + verdictText + "\n"
        for f in findings {
            let tag = f.severity == .error ? style.red("error") : f.severity == .warning ? style.yellow("warning") : style.dim("info")
            out += "  \(tag): \(f.message)\n"
            if let advice = f.advice, !advice.isEmpty { out += "    advice: \(advice)\n" }
        }
        return out
    }

    func receiverLabel(_ answer: ConnectCheckAnswer) -> String {
        switch answer.receiver {
        case let .local(reception): return BindCheckExistingRules.label(reception, observation.sockets)
        case let .remote(route):
            return "remote via \(route.interface ?? "?")" + (route.gateway.map { " gw \($0)" } ?? "") + (route.source.map { " src \($0)" } ?? "")
        case .unreachable: return "unreachable"
        }
    }

    func receiverWhy(_ answer: ConnectCheckAnswer) -> String {
        switch answer.receiver {
        case let .local(reception): return reception.why
        case .remote: return "not an address of this host (route lookup)"
        case let .unreachable(route): return "no route: \(route.detail ?? "unreachable")"
        }
    }

    func probeText(_ answer: ConnectCheckAnswer, style: OutputStyle) -> String {
        guard let probe = answer.probe else { return "-" }
        var text: String
        switch probe.outcome {
        case .accepted: text = "accepted" + (probe.acceptedBy.map { " by \($0.ownerLabel)" } ?? "")
        case .refused: text = "refused"
        case .timedOut: text = "no answer"
        case let .failed(errno): text = errno.name
        }
        if let note = probe.note { text += " (\(note))" }
        switch answer.probeAgrees {
        case true?: return text + " " + style.green("(agrees)")
        case false?: return text + " " + style.red("(DISAGREES: a sockdiag bug)")
        case nil: return text
        }
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
