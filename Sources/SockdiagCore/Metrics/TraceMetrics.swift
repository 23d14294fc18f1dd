/// `trace --openmetrics`: what one trace run saw, as gauges of that run. Labels are the traced
/// target, hooks, address classes and families: bounded, never a socket or a destination.
public enum TraceMetrics {
    /// `target` names what was traced: `("cgroup", PATH)`, `("command", NAME)`, `("pid", "1,2")`, `("unit", NAME)`, `("container", ID)`.
    public static func render(_ summary: TraceSummary, target: (name: String, value: String), durationNs: UInt64) -> String {
        let scope: [(String, String?)] = [(target.name, target.value)]
        var text = OpenMetricsText()
        text.gauge("sockdiag_trace_events",
                   help: "Connect, sendmsg and bind events seen by the trace run, by hook and destination address class.",
                   summary.eventsByHookAndClass.map { .init(scope + [("hook", $0.hook.rawValue), ("class", $0.kind.rawValue)], $0.count) })
        let pairs = AddressFamily.allCases.flatMap { family in TraceWireProtocol.allCases.map { TraceEgressPair(family, $0) } }
        text.gauge("sockdiag_trace_egress_sockets",
                   help: "Sockets that sent packets, by socket family and the IP version on the wire.",
                   pairs.map { .init(scope + [("socket_family", $0.socketFamily.rawValue), ("wire_protocol", $0.wireProtocol.rawValue)],
                                     summary.egressSockets[$0, default: 0]) })
        text.gauge("sockdiag_trace_family_mismatch_sockets",
                   help: "Sockets whose socket family differs from the IP version of their packets (AF_INET6 sockets sending IPv4).",
                   [.init(scope, pairs.filter { $0.socketFamily == .inet6 && $0.wireProtocol == .ipv4 }
                       .reduce(0) { $0 + summary.egressSockets[$1, default: 0] })])
        text.gauge("sockdiag_trace_ipv4_mapped_sockets",
                   help: "AF_INET6 sockets that connected, sent to or bound an IPv4-mapped address.",
                   [.init(scope, summary.mappedSockets.count)])
        text.gauge("sockdiag_trace_lost_events", help: "Events dropped because the ring buffer was full.",
                   [.init(scope, summary.counters.lostEvents)])
        text.gauge("sockdiag_trace_redirected_calls", help: "Connects and sends rewritten by --redirect.",
                   [.init(scope, summary.redirects)])
        text.gauge("sockdiag_trace_blocked_sockets", help: "Sockets with packets dropped by --block-ipv6.",
                   [.init(scope, summary.blockedSockets)])
        text.gauge("sockdiag_trace_outcomes",
                   help: "How TCP connects and their connections ended (and connected UDP sockets' ICMP errors), by outcome; every outcome listed.",
                   summary.outcomes.map { .init(scope + [("outcome", $0.kind.rawValue)], $0.count) })
        text.gauge("sockdiag_trace_races",
                   help: "Happy Eyeballs attempt groups (one process connecting to one port in both families), by the IP version that won (none: no attempt connected).",
                   [("ipv4", summary.racesWonByIPv4), ("ipv6", summary.racesWonByIPv6),
                    ("none", summary.races - summary.racesWonByIPv4 - summary.racesWonByIPv6)]
                       .map { .init(scope + [("won_by", $0.0)], $0.1) })
        text.gauge("sockdiag_trace_duration_seconds", help: "How long the trace ran.", unit: "seconds",
                   [.init(scope, Double(durationNs) / 1e9)])
        return text.document
    }
}
