/// The `--json` document; keys are documented in docs/bind-check.md.
extension BindCheckReport {
    public var json: JSON {
        let q = observation.query
        return .object([
            ("schema", .string(JSONSchemaID.bindCheck)),
            ("query", .object([("address", .string(q.address.description)), ("port", .number(q.port.value)),
                               ("protocol", .string(q.transport.rawValue))])),
            ("netns", .optional(observation.netns)),
            ("kernel", .string(observation.system.kernel)),
            ("system", observation.system.json),
            ("source", .string(observation.source.rawValue)),
            ("owners_source", .string(observation.ownerSource.rawValue)),
            ("sk_lookup_programs", observation.socketLookupPrograms.map { .array($0.map { .number($0) }) } ?? .null),
            ("sockets", .array(observation.sockets.map(\.json))),
            ("trials", .array(trials.map(\.json))),
            ("receivers", .array(receivers.map(receiverJSON))),
            ("verdict", .string(verdict)),
            ("findings", .array(findings.map(\.json))),
        ])
    }

    func receiverJSON(_ r: BindCheckReceiver) -> JSON {
        var kind = "bind_fails"
        var inode: JSON = .null, pid: JSON = .null, comm: JSON = .null
        var oneOf: [JSON] = []
        switch r.reception {
        case nil: break
        case .refused?: kind = "refused"
        case .unreachable?: kind = "unreachable"
        case let .one(id, _)?:
            kind = id == .newSocket ? "new_socket" : "existing"
            (inode, pid, comm) = BindCheckReport.identity(id, observation.sockets)
        case let .oneOf(ids, _)?:
            kind = "one_of"
            oneOf = ids.map { id in
                let (i, p, c) = BindCheckReport.identity(id, observation.sockets)
                return .object([("inode", i), ("pid", p), ("comm", c), ("new_socket", .bool(id == .newSocket))])
            }
        }
        return .object([
            ("scenario", .string(r.scenario.key)),
            ("client_destination", .string(r.destination.description)),
            ("travels_as", .string(r.destination.unmapped.family == .inet ? "ipv4" : "ipv6")),
            ("receiver", .string(kind)),
            ("inode", inode), ("pid", pid), ("comm", comm),
            ("one_of", .array(oneOf)),
            ("why", r.reception.map { .string($0.why) } ?? .string("the bind itself fails")),
        ])
    }

    static func identity(_ id: BindCheckReceiverID, _ sockets: [BindCheckSocket]) -> (JSON, JSON, JSON) {
        guard case let .existing(inode) = id else { return (.null, .null, .null) }
        let owner = sockets.first { $0.inode == inode }?.ownership.owners.first
        return (.number(inode), owner.map { .number($0.pid) } ?? .null, owner.map { .string($0.comm) } ?? .null)
    }
}

extension BindCheckSystem {
    public var json: JSON {
        .object([
            ("bindv6only", .int(bindv6only ? 1 : 0)),
            ("default_v6only", .bool(bindv6only)),
            ("ipv6_disabled", .bool(ipv6Disabled)),
            ("ipv6_usable", .bool(ipv6Usable)),
            ("ipv6_disabled_on_lo", .bool(ipv6DisabledOnLoopback)),
            ("ephemeral_range", ephemeralRange.map { .array([.number($0.lowerBound), .number($0.upperBound)]) } ?? .null),
            ("reserved_ports", .string(reservedPorts)),
            ("unprivileged_port_start", .optional(unprivilegedPortStart)),
            ("ipv4_addresses", .array(ipv4Addresses.map { .string($0.description) })),
            ("ipv6_addresses", .array(ipv6Addresses.map { .string($0.description) })),
        ])
    }
}

extension BindCheckSocket {
    public var json: JSON {
        .object([
            ("family", .string(family.rawValue)),
            ("protocol", .string(transport.rawValue)),
            ("state", .string(state.name(for: transport))),
            ("local_address", .string(local.address.description)),
            ("local_port", .number(local.port.value)),
            ("remote_address", .string(remote.address.description)),
            ("remote_port", .number(remote.port.value)),
            ("v6only", family == .inet6 ? .optional(v6only) : .null),
            ("reuseaddr", .optional(options?.reuseaddr)),
            ("reuseport", .optional(options?.reuseport)),
            ("bound_device", .optional(options.map { $0.boundDeviceIndex != 0 })),
            ("bound_device_name", .optional(options?.boundDevice)),
            ("uid", .number(uid)),
            ("inode", .number(inode)),
            ("owners", .array(ownership.owners.map {
                .object([("pid", .number($0.pid)), ("comm", .string($0.comm)), ("cmdline", .string($0.cmdline))] + ProcessCgroup.jsonPairs($0.cgroup))
            })),
            ("owners_visible", .bool(ownership != .hidden && ownership != .notFound)),
        ])
    }
}

extension BindCheckTrial {
    public var json: JSON {
        let r = outcome.request
        var boundPort: JSON = .null, stage: JSON = .null
        switch outcome.result {
        case let .success(port): boundPort = .number(port.value)
        case let .failure(f): stage = .string(f.stage.rawValue)
        }
        return .object([
            ("address", .string(r.address.description)),
            ("port", .number(r.port.value)),
            ("v6only", .optional(r.v6only)),
            ("reuseaddr", .bool(r.reuseaddr)),
            ("reuseport", .bool(r.reuseport)),
            ("result", .string(outcome.resultName)),
            ("tried", .bool(outcome.tried)),
            ("stage", stage),
            ("bound_port", boundPort),
            ("conflicts", .array(conflicts.map { .number($0.inode) })),
            ("explanations", .array(conflicts.map { .object([("inode", .number($0.inode)), ("why", .string($0.why))]) })),
            ("notes", .array(notes.map(JSON.string))),
        ])
    }
}

extension BindCheckFinding {
    public var json: JSON {
        .object([("severity", .string(severity.rawValue)), ("message", .string(message)), ("advice", .optional(advice))])
    }
}
