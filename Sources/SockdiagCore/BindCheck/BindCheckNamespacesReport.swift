/// `bind-check --all --all-netns`: one `--all` report per network namespace.
public struct BindCheckNamespacesReport: Sendable {
    public let reports: [BindCheckAllReport]

    public init(reports: [BindCheckAllReport]) { self.reports = reports }

    public var exitStatus: ExitStatus { reports.contains { $0.exitStatus == .problemFound } ? .problemFound : .ok }

    public var verdict: String {
        let troubled = reports.filter { $0.exitStatus == .problemFound }
        if troubled.isEmpty { return "ok" }
        return troubled.map { "\($0.netns ?? "this namespace"): \($0.verdict)" }.joined(separator: "; ")
    }

    public var json: JSON {
        .object([
            ("schema", .string(JSONSchemaID.bindCheckAllNetns)),
            ("query", .object([("all", .bool(true)), ("all_netns", .bool(true)),
                               ("protocol", .string(reports.first?.transport.rawValue ?? "tcp"))])),
            ("kernel", .string(reports.first?.system.kernel ?? "")),
            ("namespaces", .array(reports.map(\.json))),
            ("verdict", .string(verdict)),
        ])
    }

    public func text(style: OutputStyle = .plain) -> String {
        var out = ""
        for report in reports {
            out += style.bold("=== network namespace \(report.netns ?? "?") ===") + "\n"
            out += report.text(style: style) + "\n"
        }
        out += style.bold("Verdict across \(reports.count) network namespaces: ") + (verdict == "ok" ? style.green("ok") : style.red(verdict)) + "\n"
        return out
    }
}
