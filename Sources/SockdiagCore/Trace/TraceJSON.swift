/// The JSON Lines form of trace events, with the keys docs/trace.md lists, in that order.
extension TraceEvent {
    public func json(lesson: TraceLesson?) -> JSON {
        switch self {
        case let .socketCall(call): return call.json(lesson: lesson)
        case let .egress(egress): return egress.json(lesson: lesson)
        case let .outcome(outcome): return outcome.json(lesson: lesson)
        }
    }
}

extension TraceSocketCall {
    public func json(lesson: TraceLesson?) -> JSON {
        let classification = self.classification
        var pairs: [(TraceEventKey, JSON)] = [(.schema, .string(JSONSchemaID.traceEvent)), (.event, .string(self.hook.call.rawValue))]
            + context.jsonPairs + [
            (.address, .string(address.description)),
            (.port, .number(port.value)),
            (.class, .string(classification.kind.rawValue)),
        ]
        if let v4 = classification.embeddedIPv4 { pairs.append((.ipv4, .string(v4.description))) }
        pairs.append((.scope, .string(classification.scope.rawValue)))
        if let nat64 {
            pairs.append((.nat64Prefix, .string(nat64.prefix.displayed)))
            pairs.append((.nat64PrefixSource, .string(nat64.prefix.source.description)))
        }
        pairs.append((.hookAddress, .string(hookAddress.description)))
        pairs += TraceEventKey.cgroupPairs(context.cgroup)
        pairs.append((.lesson, .optional(lesson?.text)))
        return .event(pairs)
    }
}

extension TraceEgress {
    public func json(lesson: TraceLesson?) -> JSON {
        .event([
            (.schema, .string(JSONSchemaID.traceEvent)),
            (.event, "egress"),
            (.final, .bool(isFinal)),
            (.timeNs, .number(timeNs)),
            (.cookie, .number(cookie)),
            (.pid, .optional(pid)),
            (.comm, .optional(comm)),
            (.socketFamily, .string(socketFamily.rawValue)),
            (.wireProtocol, .string(wireProtocol.rawValue)),
            (.protocol, .optional(transport?.rawValue)),
            (.localAddress, .string(local.address.description)),
            (.localPort, .number(local.port.value)),
            (.remoteAddress, .string(remote.address.description)),
            (.remotePort, .number(remote.port.value)),
            (.packets, .number(packets)),
            (.bytes, .number(bytes)),
        ] + TraceEventKey.cgroupPairs(cgroup) + [
            (.lesson, .optional(lesson?.text)),
        ])
    }
}

extension TraceOutcome {
    public func json(lesson: TraceLesson?) -> JSON {
        .event([
            (.schema, .string(JSONSchemaID.traceEvent)),
            (.event, "outcome"),
            (.outcome, .string(kind.rawValue)),
            (.timeNs, .number(timeNs)),
            (.cookie, .number(cookie)),
            (.pid, .optional(pid)),
            (.comm, .optional(comm)),
            (.socketFamily, .optional(socketFamily?.rawValue)),
            (.protocol, .string(transport.rawValue)),
            (.address, .optional(remote?.address.description)),
            (.port, .optional(remote?.port.value)),
            (.localAddress, .optional(local?.address.description)),
            (.localPort, .optional(local?.port.value)),
            (.elapsedNs, .number(elapsedNs)),
            (.synRetransmits, .optional(synRetransmits)),
            (.rttMicroseconds, .optional(rttMicroseconds)),
            (.bytesSent, .optional(bytesSent)),
            (.bytesReceived, .optional(bytesReceived)),
            (.error, .optional(error?.name)),
            (.icmp, .optional(icmp)),
            (.resetBy, .optional(resetBy?.rawValue)),
            (.group, .optional(group)),
        ] + TraceEventKey.cgroupPairs(cgroup) + [
            (.lesson, .optional(lesson?.text)),
        ])
    }
}

/// How the traced command ended (`-- CMD`).
public struct TraceCommandResult: Hashable, Sendable {
    public enum Status: Hashable, Sendable {
        case exited(Int32)
        case signaled(Int32)
    }

    public let arguments: [String]
    public let pid: Int32
    public let status: Status
    /// Set when sockdiag ended the run before the command and stopped it (and everything in its
    /// cgroup), as timeout(1) does: why the run ended (`--duration 5`, `--count 3`, `SIGINT`,
    /// `closed output`).
    public var stoppedBy: String?

    public init(arguments: [String], pid: Int32, status: Status, stoppedBy: String? = nil) {
        self.arguments = arguments
        self.pid = pid
        self.status = status
        self.stoppedBy = stoppedBy
    }

    public var description: String {
        let name = "\(arguments.first ?? "command") (pid \(pid))"
        let ended = switch status {
        case let .exited(code): "exited with status \(code)"
        case let .signaled(signal): "was killed by \(TraceCommandResult.signalName(signal))"
        }
        guard let stoppedBy else { return "\(name) \(ended)" }
        return "\(name) stopped by sockdiag after \(stoppedBy) (it \(ended))"
    }

    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS",
                                      8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM"]
        return names[signal] ?? "signal \(signal)"
    }

    public var json: JSON {
        var pairs: [(String, JSON)] = [("argv", .array(arguments.map(JSON.string))), ("pid", .number(pid))]
        switch status {
        case let .exited(code): pairs += [("exit_status", .number(code)), ("signal", .null)]
        case let .signaled(signal): pairs += [("exit_status", .null), ("signal", .string(TraceCommandResult.signalName(signal)))]
        }
        pairs.append(("stopped_by", stoppedBy.map(JSON.string) ?? .null))
        return .object(pairs)
    }
}

extension TraceSummary {
    public func json(command: TraceCommandResult?, durationNs: UInt64) -> JSON {
        .object([
            ("schema", .string(JSONSchemaID.traceEvent)),
            ("event", "summary"),
            ("events", .number(events)),
            ("hooks", .object(TraceHook.allCases.map { ($0.rawValue, .number(hooks[$0, default: 0])) })),
            ("classes", .object(classes.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key.rawValue, .number($0.value)) })),
            ("mapped_sockets", .number(mappedSockets.count)),
            ("egress_sockets", .number(egressSocketCount)),
            ("egress", .object(egressSockets.sorted { $0.key < $1.key }.map { ($0.key.key, .number($0.value)) })),
            ("lessons", .array(lessons.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                .object([("lesson", .string($0.key.rawValue)), ("sockets", .number($0.value)), ("text", .string($0.key.text))])
            })),
            ("outcomes", .object(outcomes.map { ($0.kind.rawValue, .number($0.count)) })),
            ("races", .object([("groups", .number(races)), ("ipv4_won", .number(racesWonByIPv4)), ("ipv6_won", .number(racesWonByIPv6)),
                               ("verdicts", .array(raceVerdicts.map { .object([("group", .number($0.group)), ("verdict", .string($0.verdict))]) }))])),
            ("redirects", .number(redirects)),
            ("blocked_sockets", .number(blockedSockets)),
            ("lost", .number(counters.lostEvents)),
            ("egress_untracked", .number(counters.egressUntracked)),
            ("egress_unattributed_packets", .number(counters.egressUnattributed)),
            ("existing_sockets", .number(existingSockets)),
            ("existing_read_ns", .optional(existingReadNs)),
            ("duration_ns", .number(durationNs)),
            ("command", command?.json ?? .null),
        ])
    }
}
