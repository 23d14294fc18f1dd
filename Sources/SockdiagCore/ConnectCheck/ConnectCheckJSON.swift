/// The `--json` document; keys are documented in docs/connect-check.md.
extension ConnectCheckReport {
    public var json: JSON {
        let o = observation
        return .object([
            ("schema", .string(JSONSchemaID.connectCheck)),
            ("query", .object([("host", .string(o.query.host.description)), ("port", .number(o.query.port.value)),
                               ("transport", .string(o.query.transport.rawValue))])),
            ("netns", .optional(o.netns)),
            ("kernel", .string(o.kernel)),
            ("name_services", .array(o.nameServices.services.map(JSON.string))),
            ("policy", .object([("source", .string(table.origin ?? "glibc built-in")),
                                ("precedence", .array(table.precedence.map { .string($0.description) })),
                                ("label", .array(table.label.map { .string($0.description) }))])),
            ("addrconfig_dropped", .array(droppedByAddrconfig.map { .string($0.rawValue) })),
            ("resolution", .array(resolution.map(resolutionJSON))),
            ("answers", .array(answers.map(answerJSON))),
            ("clients", .array(clients.map(clientJSON))),
            ("verdict", .string(verdict.rawValue)),
            ("findings", .array(findings.map(\.json))),
        ])
    }

    func resolutionJSON(_ entry: ResolutionEntry) -> JSON {
        var source: [(String, JSON)] = [("kind", .string(sourceKind(entry.source)))]
        if case let .hostsFile(path, line, text) = entry.source {
            source += [("file", .string(path)), ("line", .number(line)), ("text", .string(text))]
        } else if case let .nameService(name) = entry.source {
            source.append(("service", .string(name)))
        }
        return .object([
            ("address", .string(entry.address.description)),
            ("family", .string(entry.address.family.rawValue)),
            ("source", .object(source)),
            ("rule", entry.sorted.rule.map { .number($0.rawValue) } ?? .null),
            ("why", .string(entry.sorted.why)),
            ("precedence", .number(entry.sorted.precedence)),
            ("label", .number(entry.sorted.label)),
            ("source_address", .optional(entry.sorted.candidate.source?.description)),
        ])
    }

    func sourceKind(_ source: AnswerSource) -> String {
        switch source {
        case .literal: return "literal"
        case .hostsFile: return "hosts_file"
        case .nameService: return "name_service"
        case .client: return "client"
        }
    }

    func answerJSON(_ answer: ConnectCheckAnswer) -> JSON {
        var kind = "refused", why = ""
        var inode: JSON = .null, pid: JSON = .null, comm: JSON = .null
        var oneOf: [JSON] = []
        var route: JSON = .null
        switch answer.receiver {
        case let .local(reception):
            why = reception.why
            switch reception {
            case .refused: kind = "refused"
            case .unreachable: kind = "unreachable"
            case let .one(id, _):
                kind = "socket"
                (inode, pid, comm) = BindCheckReport.identity(id, observation.sockets)
            case let .oneOf(ids, _):
                kind = "one_of"
                oneOf = ids.map { id in
                    let (i, p, c) = BindCheckReport.identity(id, observation.sockets)
                    return .object([("inode", i), ("pid", p), ("comm", c)])
                }
            }
        case let .remote(r):
            kind = "remote"
            why = "not an address of this host: the kernel routes it out through \(r.interface ?? "?")"
            route = routeJSON(r)
        case let .unreachable(r):
            kind = "unreachable"
            why = "no route: \(r.detail ?? "unreachable")"
            route = routeJSON(r)
        }
        var pairs: [(String, JSON)] = [
            ("address", .string(answer.address.description)),
            ("family", .string(answer.address.family.rawValue)),
            ("receiver", .string(kind)), ("pid", pid), ("comm", comm), ("inode", inode),
            ("one_of", .array(oneOf)), ("why", .string(why)), ("route", route),
        ]
        if let probe = answer.probe {
            let owner = probe.acceptedBy?.ownership.owners.first
            pairs.append(("probe", .object([
                ("result", .string(probeResultName(probe.outcome))),
                ("client", .optional(probe.client?.description)),
                ("accepted_pid", owner.map { .number($0.pid) } ?? .null),
                ("accepted_comm", .optional(owner?.comm)),
                ("accepted_inode", probe.acceptedBy.map { .number($0.inode) } ?? .null),
                ("note", .optional(probe.note)),
                ("agrees", .optional(answer.probeAgrees)),
            ])))
        }
        return .object(pairs)
    }

    func probeResultName(_ outcome: ProbeResult.Outcome) -> String {
        switch outcome {
        case .accepted: return "accepted"
        case .refused: return "refused"
        case .timedOut: return "timed_out"
        case let .failed(errno): return errno.name
        }
    }

    func routeJSON(_ r: RouteAnswer) -> JSON {
        .object([("type", .string(r.kind.rawValue)), ("interface", .optional(r.interface)),
                 ("gateway", .optional(r.gateway?.description)), ("source", .optional(r.source?.description)),
                 ("detail", .optional(r.detail))])
    }

    func clientJSON(_ run: ClientRun) -> JSON {
        var reaches: JSON = .null
        if let address = run.reaches {
            var pid: JSON = .null, comm: JSON = .null
            if case let .local(reception)? = answer(address)?.receiver, let id = reception.receivers.first, reception.receivers.count == 1 {
                (_, pid, comm) = BindCheckReport.identity(id, observation.sockets)
            }
            reaches = .object([("address", .string(connectAddress(address, run.client).description)), ("pid", pid), ("comm", comm)])
        }
        return .object([
            ("name", .string(run.client.name)),
            ("title", .string(run.client.title)),
            ("fallback_delay_ms", .optional(run.client.fallbackDelayMs)),
            ("list", .array(run.list.map { .string($0.description) })),
            ("attempts", .array(run.attempts.map { attempt in
                .object([("address", .string(connectAddress(attempt.address, run.client).description)),
                         ("outcome", .string(attempt.outcome.rawValue))])
            })),
            ("reaches", reaches),
        ])
    }

    /// The address the client passes to connect(): Java's IPv4 goes through an AF_INET6 socket.
    public func connectAddress(_ address: IPAddress, _ client: ClientModel) -> IPAddress {
        if client.mapsIPv4, case let .v4(a) = address { return .v6(IPv6Address(mapping: a)) }
        return address
    }
}
