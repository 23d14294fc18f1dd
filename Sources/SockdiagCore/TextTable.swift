/// Terminal styling: colour only on a terminal and never under NO_COLOR.
public struct OutputStyle: Sendable {
    public let colored: Bool

    public init(colored: Bool) { self.colored = colored }

    public static let plain = OutputStyle(colored: false)

    public func bold(_ text: String) -> String { wrap(text, "1") }
    public func red(_ text: String) -> String { wrap(text, "31") }
    public func green(_ text: String) -> String { wrap(text, "32") }
    public func yellow(_ text: String) -> String { wrap(text, "33") }
    public func dim(_ text: String) -> String { wrap(text, "2") }

    private func wrap(_ text: String, _ code: String) -> String {
        colored ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}

/// Left-aligned columns, padded to the widest cell, as `ss` prints them. Escape sequences
/// do not count towards a cell's width.
public struct TextTable: Sendable {
    public var header: [String]?
    public private(set) var rows: [[String]] = []

    public init(header: [String]? = nil) { self.header = header }

    public mutating func append(_ row: [String]) { rows.append(row) }

    public func render(separator: String = "  ", style: OutputStyle = .plain) -> String {
        let all = (header.map { [$0] } ?? []) + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in all {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], TextTable.visibleWidth(cell)) }
        }
        var out = ""
        for (index, row) in all.enumerated() {
            var line = ""
            for (i, cell) in row.enumerated() {
                let isLast = i == row.count - 1
                let padded = isLast ? cell : cell + String(repeating: " ", count: widths[i] - TextTable.visibleWidth(cell))
                line += (i == 0 ? "" : separator) + padded
            }
            out += (index == 0 && header != nil ? style.bold(line) : line) + "\n"
        }
        return out
    }

    static func visibleWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
            } else if scalar == "\u{1B}" {
                inEscape = true
            } else {
                width += 1
            }
        }
        return width
    }
}
