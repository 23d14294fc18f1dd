/// Renders `--help` from a command's table.
public enum HelpRenderer {
    public static func render(_ spec: CommandSpec, program: String = "sockdiag") -> String {
        var lines: [String] = []
        for (i, usage) in spec.usage.enumerated() {
            lines.append((i == 0 ? "Usage: " : "       ") + "\(program) \(spec.name) \(usage)")
        }
        lines.append("")
        lines.append(spec.summary)
        if let discussion = spec.discussion {
            lines.append("")
            lines.append(discussion)
        }
        if !spec.positionals.isEmpty {
            lines.append("")
            lines.append("Arguments:")
            let width = spec.positionals.map(\.name.count).max() ?? 0
            for positional in spec.positionals {
                lines.append("  " + positional.name.padding(to: width + 2) + positional.help)
            }
        }
        lines.append("")
        lines.append("Options:")
        let width = min(30, spec.options.map(\.synopsis.count).max() ?? 0)
        for option in spec.options {
            let synopsis = option.synopsis
            if synopsis.count > width {
                lines.append("  " + synopsis)
                lines.append("  " + "".padding(to: width + 2) + option.help)
            } else {
                lines.append("  " + synopsis.padding(to: width + 2) + option.help)
            }
        }
        if !spec.examples.isEmpty {
            lines.append("")
            lines.append("Examples:")
            for example in spec.examples {
                lines.append("  \(example.command)")
                lines.append("      \(example.explanation)")
            }
        }
        lines.append("")
        lines.append(ExitStatus.legend)
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    public func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
