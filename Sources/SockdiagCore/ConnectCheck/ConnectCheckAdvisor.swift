/// Turns the clients' runs into findings: who reaches what, what is refused, and what to do.
struct ConnectCheckAdvisor {
    let report: ConnectCheckReport

    var query: ConnectCheckQuery { report.observation.query }
    var sockets: [BindCheckSocket] { report.observation.sockets }

    func label(_ address: IPAddress) -> String {
        switch report.answer(address)?.receiver {
        case let .local(reception)?: return BindCheckExistingRules.label(reception, sockets)
        case let .remote(route)?: return "the remote host (via \(route.interface ?? "?"))"
        case .unreachable?, nil: return "nobody (no route)"
        }
    }

    func names(_ runs: [ClientRun]) -> String { runs.map(\.client.title).joined(separator: "; ") }

    func findings() -> [BindCheckFinding] {
        var findings: [BindCheckFinding] = []
        let port = query.port
        let reaching = report.clients.filter { $0.reaches != nil }
        let byReceiver = Dictionary(grouping: reaching) { ConnectCheckReport.receiverKey(report.answer($0.reaches!)?.receiver) }
        if byReceiver.count > 1 {
            let groups = byReceiver.values.sorted { $0.count > $1.count }.map { runs in
                "\(label(runs[0].reaches!)) through \(Set(runs.map { $0.reaches!.description }).sorted().joined(separator: ", ")) for \(names(runs))"
            }
            findings.append(BindCheckFinding(.warning, "Clients of \(query.text) reach different processes: " + groups.joined(separator: "; but "),
                                             advice: "serve both families from one process (bind [::]:\(port) with IPV6_V6ONLY=0), or stop the other listener; 'sockdiag bind-check :: \(port)' shows both sides"))
        }
        let failing = report.clients.filter { $0.reaches == nil }
        if !failing.isEmpty && !reaching.isEmpty {
            let tried = Set(failing.flatMap { $0.attempts.map(\.address.description) }).sorted().joined(separator: ", ")
            findings.append(BindCheckFinding(.warning, "\(names(failing)): refused, trying only \(tried) where nothing takes port \(port)",
                                             advice: advice(refused: failing.flatMap { $0.attempts.map(\.address) })))
        }
        let fellBack = reaching.filter { $0.attempts.count > 1 }
        if !fellBack.isEmpty {
            let first = Set(fellBack.compactMap { $0.attempts.first?.address.description }).sorted().joined(separator: ", ")
            findings.append(BindCheckFinding(.warning, "\(names(fellBack)): the first choice (\(first)) is refused and they fall back; a refusal (RST) costs one round trip, but an address that never answers would cost each client its connect timeout (Happy Eyeballs: its fallback delay)",
                                             advice: advice(refused: fellBack.compactMap { $0.attempts.first?.address })))
        }
        if reaching.isEmpty {
            let tried = report.answers.map(\.address.description).joined(separator: ", ")
            findings.append(BindCheckFinding(.error, "No client reaches anything: nothing takes port \(port) on \(tried.isEmpty ? "any address" : tried)",
                                             advice: "start the server, or check the port ('sockdiag bind-check --all' lists what listens)"))
        }
        for family in report.droppedByAddrconfig {
            findings.append(BindCheckFinding(.info, "AI_ADDRCONFIG drops the \(family == .inet6 ? "IPv6" : "IPv4") answers: this host has no non-loopback \(family == .inet6 ? "IPv6" : "IPv4") address, so clients that pass the flag (C programs, Node) never try them; Python, curl and Java do"))
        }
        if let model = report.modelOrderDiffers {
            findings.append(BindCheckFinding(.error, "sockdiag's model of glibc's sort gives \(model.map(\.description).joined(separator: ", ")) but getaddrinfo gave \(report.observation.resolved.map(\.description).joined(separator: ", ")): the rules shown are not the ones glibc applied. This is a bug in sockdiag",
                                             advice: "report it with this output, /etc/gai.conf and 'ip -6 addr; ip -4 addr'"))
        }
        for answer in report.answers {
            guard let probe = answer.probe, answer.probeAgrees == false else { continue }
            findings.append(BindCheckFinding(.error, "The probe of \(SocketAddress(answer.address, port)) found \(probeLabel(probe)) but the model said \(label(answer.address)): this is a bug in sockdiag",
                                             advice: "report it with 'sockdiag connect-check --json --probe \(query.text)' and 'ss -\(query.transport == .tcp ? "t" : "u")anpe sport = :\(port)'"))
        }
        if report.observation.isLocalhostName {
            findings.append(BindCheckFinding(.info, "curl answers '\(report.observation.hostName ?? "localhost")' itself, without /etc/hosts or gai.conf: ::1 first from 8.2.1 on, 127.0.0.1 first from 7.78 to 8.2.0"))
        }
        return findings.sorted { rank($0.severity) < rank($1.severity) }
    }

    func probeLabel(_ probe: ProbeResult) -> String {
        switch probe.outcome {
        case .accepted: return probe.acceptedBy.map { $0.ownerLabel } ?? "a socket"
        case .refused: return "a refusal"
        case .timedOut: return "no answer"
        case let .failed(errno): return errno.name
        }
    }

    private func rank(_ severity: BindCheckFinding.Severity) -> Int {
        switch severity { case .error: return 0; case .warning: return 1; case .info: return 2 }
    }

    func advice(refused addresses: [IPAddress]) -> String {
        let port = query.port
        let families = Set(addresses.map(\.family))
        let name = report.observation.hostName
        if families == [.inet6] {
            return "make the server listen on [::]:\(port) (dual-stack) or [::1]:\(port) as well"
                + (name.map { ", or have clients connect to 127.0.0.1 instead of \($0)" } ?? "")
                + " (a gai.conf line 'precedence ::ffff:0:0/96 100' puts IPv4 first for glibc clients)"
        }
        if families == [.inet] {
            return "make the server listen on 0.0.0.0:\(port) (or a dual-stack [::]:\(port)) as well" + (name.map { ", or have clients connect to ::1 instead of \($0)" } ?? "")
        }
        return "start the server on every address the name resolves to"
    }
}
