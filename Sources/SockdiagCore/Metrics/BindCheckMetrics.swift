/// `bind-check --all [--all-netns] --openmetrics`: the listeners, the split ports and the findings
/// of every namespace checked, as gauges with bounded labels (namespaces, ports, processes and
/// units on the host; never a client or a connection).
public enum BindCheckMetrics {
    /// One `--all` report and the name its namespace goes by in the labels: an `ip netns` name, or
    /// `net:[INODE]` as /proc/PID/ns/net shows it.
    public struct Namespace: Sendable {
        public let label: String
        public let report: BindCheckAllReport

        public init(label: String, report: BindCheckAllReport) {
            self.label = label
            self.report = report
        }
    }

    /// `placement` says which unit or container a process runs in (nil when it is gone).
    public static func render(_ namespaces: [Namespace], placement: (Int32) -> ProcessPlacement?) -> String {
        var listeners: [OpenMetricsText.Sample] = []
        var split: [OpenMetricsText.Sample] = []
        var findings: [OpenMetricsText.Sample] = []
        var ports: [OpenMetricsText.Sample] = []
        var problemPorts: [OpenMetricsText.Sample] = []
        for namespace in namespaces {
            let report = namespace.report
            let scope: [(String, String?)] = [("netns", namespace.label), ("protocol", report.transport.rawValue)]
            ports.append(.init(scope, report.groups.count))
            problemPorts.append(.init(scope, report.problemPorts.count))
            for group in report.groups {
                let port = ("port", String(group.port.value)) as (String, String?)
                for socket in group.sockets {
                    let where_: [(String, String?)] = scope + [
                        port, ("family", socket.family == .inet ? "ipv4" : "ipv6"),
                        ("address", socket.local.address.description),
                        ("v6only", socket.family == .inet6 ? socket.v6only.map { $0 ? "true" : "false" } : nil),
                    ]
                    let owners = socket.ownership.owners
                    if owners.isEmpty { listeners.append(.init(where_, 1)) }
                    for owner in owners {
                        let place = placement(owner.pid)
                        listeners.append(.init(where_ + [("pid", String(owner.pid)), ("comm", owner.comm),
                                                          ("unit", place?.unit), ("container", place?.container)], 1))
                    }
                }
                split.append(.init(scope + [port], group.findings.contains { $0.kind == .splitFamilies } ? 1 : 0))
            }
            // Every kind, zeros included: an alert on a count needs the series to exist.
            for kind in BindCheckFinding.Kind.allCases where kind != .bind {
                findings.append(.init(scope + [("kind", kind.rawValue)], report.findings.filter { $0.kind == kind }.count))
            }
        }
        var text = OpenMetricsText()
        text.gauge("sockdiag_bind_listener_info",
                   help: "A socket that takes new clients (a TCP listener or an unconnected UDP socket), by owning process; always 1.",
                   listeners)
        text.gauge("sockdiag_bind_port_split",
                   help: "1 when IPv4 and IPv6 clients of the port reach different processes, else 0.", split)
        text.gauge("sockdiag_bind_findings",
                   help: "Findings about the sockets already listening, by kind.", findings)
        text.gauge("sockdiag_bind_ports", help: "Ports with a socket that takes new clients.", ports)
        text.gauge("sockdiag_bind_problem_ports",
                   help: "Ports whose clients are split between processes or refused in one family (bind-check exits 1 when above 0).",
                   problemPorts)
        return text.document
    }
}
