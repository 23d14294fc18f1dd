/// The `"schema"` value each JSON document or event starts with: which schema in docs/schema/
/// describes it, and its version. A key whose meaning changes takes a new version; a key added
/// does not.
public enum JSONSchemaID {
    /// `bind-check --json ADDRESS PORT`: docs/schema/bind-check.schema.json.
    public static let bindCheck = "sockdiag.bind-check/1"
    /// `bind-check --all --json`: docs/schema/bind-check-all.schema.json.
    public static let bindCheckAll = "sockdiag.bind-check-all/1"
    /// `bind-check --all --all-netns --json`: docs/schema/bind-check-all-netns.schema.json.
    public static let bindCheckAllNetns = "sockdiag.bind-check-all-netns/1"
    /// Each line of `trace --json`: docs/schema/trace-event.schema.json.
    public static let traceEvent = "sockdiag.trace-event/1"
    /// `compare-wire --json`: docs/schema/compare-wire.schema.json.
    public static let compareWire = "sockdiag.compare-wire/1"
    /// `connect-check --json HOST PORT`: docs/schema/connect-check.schema.json.
    public static let connectCheck = "sockdiag.connect-check/1"
    /// `demo --json`: docs/schema/demo.schema.json.
    public static let demo = "sockdiag.demo/1"

    /// The schema's file name in docs/schema/: `sockdiag.bind-check/1` -> `bind-check.schema.json`.
    public static func fileName(_ id: String) -> String {
        let name = id.split(separator: "/").first.map { $0.dropFirst("sockdiag.".count) } ?? ""
        return "\(name).schema.json"
    }

    public static let all = [bindCheck, bindCheckAll, bindCheckAllNetns, connectCheck, traceEvent, compareWire, demo]
}
