/// Renders `--help` from a command's table, wrapped to 80 columns as ss and tcpdump print theirs.
public enum HelpRenderer {
    static let lineWidth = 80

    public static func render(_ spec: CommandSpec, program: String = "sockdiag") -> String {
        var lines: [String] = []
        for (i, usage) in spec.usage.enumerated() {
            lines.append((i == 0 ? "Usage: " : "       ") + "\(program) \(spec.name) \(usage)")
        }
        lines.append("")
        lines.append(TextWrap.wrap(spec.summary, width: lineWidth))
        if let discussion = spec.discussion {
            lines.append("")
            lines.append(TextWrap.wrap(discussion, width: lineWidth))
        }
        if !spec.positionals.isEmpty {
            lines.append("")
            lines.append("Arguments:")
            let width = spec.positionals.map(\.name.count).max() ?? 0
            for positional in spec.positionals {
                lines.append(hanging("  " + positional.name.padding(to: width + 2), positional.help))
            }
        }
        lines.append("")
        lines.append("Options:")
        let width = min(30, spec.visibleOptions.map(\.synopsis.count).max() ?? 0)
        for option in spec.visibleOptions {
            let synopsis = option.synopsis
            if synopsis.count > width {
                lines.append("  " + synopsis)
                lines.append(hanging("  " + "".padding(to: width + 2), option.help))
            } else {
                lines.append(hanging("  " + synopsis.padding(to: width + 2), option.help))
            }
        }
        if !spec.examples.isEmpty {
            lines.append("")
            lines.append("Examples:")
            for example in spec.examples {
                lines.append("  \(example.command)")
                lines.append(TextWrap.wrap(example.explanation, width: lineWidth, indent: "      "))
            }
        }
        lines.append("")
        lines.append(TextWrap.wrap(spec.exitStatus, width: lineWidth))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `lead` then `text`, wrapped so continuation lines start under the text's first word.
    static func hanging(_ lead: String, _ text: String) -> String {
        let indent = String(repeating: " ", count: lead.count)
        let wrapped = TextWrap.wrap(text, width: max(lineWidth, lead.count + 30), indent: indent)
        return lead + wrapped.dropFirst(indent.count)
    }
}

extension String {
    public func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
