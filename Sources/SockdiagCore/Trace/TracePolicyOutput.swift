/// JSON and human forms of redirect and block events.
extension TracePolicyEvent {
    public func json(blockRule: String) -> JSON {
        switch self {
        case let .redirect(r):
            return .object([("schema", .string(JSONSchemaID.traceEvent)), ("event", "redirect")] + r.context.jsonPairs.map { ($0.0.rawValue, $0.1) } + [
                ("original_address", .string(r.original.address.description)),
                ("original_port", .number(r.original.port.value)),
                ("address", .string(r.target.address.description)),
                ("port", .number(r.target.port.value)),
                ("class", .string(r.original.address.classification.kind.rawValue)),
            ] + ProcessCgroup.jsonPairs(r.context.cgroup))
        case let .blocked(b):
            guard case let .object(pairs) = b.json(lesson: nil) else { return .null }
            var out = pairs.filter { $0.0 != "lesson" }.map { $0.0 == "event" ? ("event", "blocked") : $0 }
            out.append(("rule", .string(blockRule)))
            return .object(out)
        }
    }

    public func render(_ renderer: TraceRenderer, blockRule: String) -> String? {
        switch self {
        case let .redirect(r):
            return renderer.line([renderer.clock(r.timeNs), String(r.pid), PrintableText.of(r.comm) + (r.context.cgroup?.textSuffix ?? ""), r.hook.rawValue,
                                  "\(r.socketFamily.rawValue)/\(r.transport?.rawValue ?? "other")",
                                  "\(r.original) -> \(r.target)", "redirected"]) + "\n"
        case let .blocked(b):
            guard !b.isFinal else { return nil }
            return renderer.line([renderer.clock(b.timeNs), b.pid.map { String($0) } ?? "-",
                                  b.comm.map { PrintableText.of($0) + (b.cgroup?.textSuffix ?? "") } ?? "-", "egress",
                                  "\(b.socketFamily.rawValue)/\(b.transport?.rawValue ?? "other")",
                                  "\(b.local) -> \(b.remote)",
                                  renderer.style.red("\(b.wireProtocol.rawValue) blocked (\(blockRule))")]) + "\n"
        }
    }
}

extension TraceSession {
    /// Names a blocked socket's process from its connect or send, and counts the event.
    public mutating func process(_ event: TracePolicyEvent) -> TracePolicyEvent {
        switch event {
        case let .redirect(redirect):
            recordOwner(cookie: redirect.cookie, pid: redirect.pid, comm: redirect.comm, cgroup: redirect.context.cgroup, socketFamily: redirect.socketFamily)
            summaryRecord(redirect: true, blockedSocket: false)
            return event
        case var .blocked(blocked):
            if let owner = owner(of: blocked.cookie) {
                blocked.pid = owner.pid
                blocked.comm = owner.comm
                blocked.cgroup = owner.cgroup
            }
            summaryRecord(redirect: false, blockedSocket: !blocked.isFinal)
            recordDropped(blocked)
            return .blocked(blocked)
        }
    }
}
