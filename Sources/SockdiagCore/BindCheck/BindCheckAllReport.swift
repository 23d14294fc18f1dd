/// `bind-check --all`: every listening port at once, with the ports whose families reach
/// different processes or where one family is refused.
public struct BindCheckAllReport: Sendable {
    public struct PortGroup: Sendable {
        public let port: Port
        public let sockets: [BindCheckSocket]
        public let receptions: [(destination: IPAddress, reception: BindCheckReception)]
        public let findings: [BindCheckFinding]
    }

    public let transport: TransportProtocol
    public let system: BindCheckSystem
    public let source: BindCheckSource
    public let netns: String?
    public let groups: [PortGroup]

    public var findings: [BindCheckFinding] { groups.flatMap(\.findings) }
    public var problemPorts: [PortGroup] { groups.filter { $0.findings.contains(where: \.isProblem) } }
    public var verdict: String {
        let ports = problemPorts.map(\.port.description)
        if ports.isEmpty { return "ok" }
        return "\(ports.count) port\(ports.count == 1 ? "" : "s") with split or refused clients: \(ports.joined(separator: ", "))"
    }
    public var exitStatus: ExitStatus { problemPorts.isEmpty ? .ok : .problemFound }

    /// `listeners` are the listening (TCP) or unconnected (UDP) sockets of every port.
    public static func analyze(listeners: [BindCheckSocket], transport: TransportProtocol, system: BindCheckSystem,
                               source: BindCheckSource, netns: String?) -> BindCheckAllReport {
        let byPort = Dictionary(grouping: listeners.filter(\.acceptsNewClients), by: \.local.port)
        let groups = byPort.keys.sorted().map { port -> PortGroup in
            let sockets = byPort[port]!
            let candidates = BindCheckReport.candidates(sockets, defaultV6only: system.bindv6only)
            let receptions = system.destinations.map { ($0, BindCheckReport.reception(of: $0, among: candidates, system: system, transport: transport)) }
            let findings = BindCheckExistingRules.findings(receptions: receptions, candidates: candidates, sockets: sockets)
            return PortGroup(port: port, sockets: sockets, receptions: receptions, findings: findings)
        }
        return BindCheckAllReport(transport: transport, system: system, source: source, netns: netns, groups: groups)
    }

    public var json: JSON {
        .object([
            ("schema", .string(JSONSchemaID.bindCheckAll)),
            ("query", .object([("all", .bool(true)), ("protocol", .string(transport.rawValue))])),
            ("netns", .optional(netns)),
            ("kernel", .string(system.kernel)),
            ("system", system.json),
            ("source", .string(source.rawValue)),
            ("ports", .array(groups.map { group in
                .object([
                    ("port", .number(group.port.value)),
                    ("sockets", .array(group.sockets.map(\.json))),
                    ("receivers", .array(group.receptions.map { entry in
                        var inode: JSON = .null, pid: JSON = .null, comm: JSON = .null
                        if case let .one(id, _) = entry.reception { (inode, pid, comm) = BindCheckReport.identity(id, group.sockets) }
                        return .object([
                            ("client_destination", .string(entry.destination.description)),
                            ("receiver", .string(entry.reception.kind)),
                            ("inode", inode), ("pid", pid), ("comm", comm),
                            ("one_of", .array(entry.reception.receivers.count > 1 ? entry.reception.receivers.map {
                                let (i, p, c) = BindCheckReport.identity($0, group.sockets)
                                return .object([("inode", i), ("pid", p), ("comm", c)])
                            } : [])),
                            ("why", .string(entry.reception.why)),
                        ])
                    })),
                    ("findings", .array(group.findings.map(\.json))),
                ])
            })),
            ("verdict", .string(verdict)),
            ("findings", .array(findings.map(\.json))),
        ])
    }

    public func text(style: OutputStyle = .plain) -> String {
        var out = style.bold("bind-check --all \(transport.rawValue)")
        out += "  (sockets from \(source == .netlink ? "netlink sock_diag" : "/proc/net")\(netns.map { ", network namespace \($0)" } ?? ""))\n\n"
        out += system.text(style: style)
        out += "\n" + style.bold("Listening ports (\(groups.count)): who gets clients of 127.0.0.1 and ::1") + "\n"
        var table = TextTable(header: ["PORT", "LISTENING ON", "127.0.0.1", "::1", "PROBLEM"])
        for group in groups {
            let on = group.sockets.map { s in s.binding.addressText + (s.family == .inet6 && s.v6only == true && s.local.address.isUnspecified ? " (v6only)" : "") }
            let r4 = group.receptions.first { $0.destination == .v4(.loopback) }?.reception
            let r6 = group.receptions.first { $0.destination == .v6(.loopback) }?.reception
            let problem = group.findings.first(where: \.isProblem).map { _ in style.red("yes") } ?? ""
            table.append([group.port.description, bindCheckUniqueLines(on).joined(separator: " "),
                          r4.map { BindCheckExistingRules.label($0, group.sockets) } ?? "-",
                          r6.map { BindCheckExistingRules.label($0, group.sockets) } ?? "-", problem])
        }
        out += groups.isEmpty ? "  none\n" : table.render(style: style)
        out += "\n" + BindCheckReport.verdictText(verdict: verdict, findings: findings, kernel: system.kernel, style: style)
        return out
    }
}
