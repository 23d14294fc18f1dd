/// Writes metric families in the OpenMetrics text format (ending in `# EOF`). Only gauges are
/// written, so the same bytes are also valid Prometheus text format 0.0.4, which node_exporter's
/// textfile collector and `promtool check metrics` read: an OpenMetrics counter's `_total` samples
/// would lose their type and help there. A file describes one finished run, so its counts are
/// gauges of that run.
public struct OpenMetricsText: Sendable {
    public struct Sample: Sendable {
        public let labels: [(name: String, value: String)]
        public let value: Double

        /// Labels with an empty value are left out: in Prometheus an empty label is an absent one.
        public init(_ labels: [(String, String?)] = [], _ value: Double) {
            self.labels = labels.compactMap { name, value in value.flatMap { $0.isEmpty ? nil : (name, $0) } }
            self.value = value
        }

        public init(_ labels: [(String, String?)] = [], _ value: Int) { self.init(labels, Double(value)) }
        public init(_ labels: [(String, String?)] = [], _ value: UInt64) { self.init(labels, Double(value)) }
    }

    public private(set) var text = ""
    private var names: Set<String> = []

    public init() {}

    /// One gauge family. `name` ends in `_UNIT` when `unit` is given (OpenMetrics requires it).
    /// Samples whose labels repeat an earlier sample's are dropped: a series appears once.
    public mutating func gauge(_ name: String, help: String, unit: String? = nil, _ samples: [Sample]) {
        precondition(!names.contains(name), "metric family \(name) written twice")
        precondition(unit.map { name.hasSuffix("_" + $0) } ?? true, "\(name) must end in its unit")
        names.insert(name)
        text += "# HELP \(name) \(Self.escapedHelp(help))\n# TYPE \(name) gauge\n"
        if let unit { text += "# UNIT \(name) \(unit)\n" }
        var seen: Set<String> = []
        for sample in samples {
            var line = name
            if !sample.labels.isEmpty {
                line += "{" + sample.labels.map { "\($0.name)=\"\(Self.escapedLabelValue($0.value))\"" }.joined(separator: ",") + "}"
            }
            guard seen.insert(line).inserted else { continue }
            text += line + " " + Self.number(sample.value) + "\n"
        }
    }

    /// The document, closed by `# EOF`.
    public var document: String { text + "# EOF\n" }

    /// Whole numbers without a fraction (`3`, not `3.0`); others as Swift prints a Double.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapedLabelValue(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func escapedHelp(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }
}
