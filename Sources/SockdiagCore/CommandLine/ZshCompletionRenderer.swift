/// Renders the zsh completion function from the option tables, as `BashCompletionRenderer` does for
/// bash: `_arguments` specs for every option (short and long spellings exclude each other, repeatable
/// ones may come again), the option values from the table's value kinds, and after `--` the command's own
/// completion. `scripts/_sockdiag` is this output; a unit test fails when the two differ.
public enum ZshCompletionRenderer {
    public static func render(_ catalog: [CommandSpec] = CommandCatalog.subcommands,
                              version: String = CommandCatalog.version) -> String {
        var script = """
        #compdef sockdiag
        # zsh completion for sockdiag \(version)
        # Generated from the option tables by 'sockdiag completion zsh' (scripts/gen-docs). Do not edit.
        # Install: sockdiag completion zsh > "${fpath[1]}/_sockdiag", then start a new zsh.

        # A cgroup v2 directory: absolute, or relative to the cgroup2 mount.
        _sockdiag_cgroups() {
          if [[ $PREFIX == (/|.)* ]]; then
            _files -/
            return
          fi
          local device mountpoint type rest root=
          while read -r device mountpoint type rest; do
            if [[ $type == cgroup2 ]]; then
              root=$mountpoint
              break
            fi
          done </proc/mounts
          [[ -n $root ]] && _files -/ -W "$root"
        }

        _sockdiag_interfaces() {
          local -a interfaces
          interfaces=(any /sys/class/net/*(N:t))
          compadd -a interfaces
        }

        # A name from 'ip netns', or a path such as /proc/PID/ns/net.
        _sockdiag_netns() {
          local -a names
          names=(/run/netns/*(N:t))
          compadd -a names
          _files
        }

        _sockdiag() {
          local curcontext=$curcontext state line ret=1
          local -a subcommands
          subcommands=(

        """
        for spec in catalog {
            script += "    \(quoted(describeEntry(spec.name, spec.abstract)))\n"
        }
        script += "    \(quoted(describeEntry("help", "Show the help of a subcommand.")))\n"
        script += """
          )
          _arguments -C \\
            '(- *)'{-h,--help}'[Show this help and exit]' \\
            '(- *)--version[Print the version and exit]' \\
            '1: :->subcommand' \\
            '*:: :->argument' && ret=0
          case $state in
            subcommand)
              _describe -t subcommands 'sockdiag subcommand' subcommands && ret=0
              ;;
            argument)
              curcontext=${curcontext%:*:*}:sockdiag-$words[1]:
              case $words[1] in

        """
        for spec in catalog {
            script += subcommandCase(spec)
        }
        let topics = (catalog.map(\.name) + ["--man"]).joined(separator: " ")
        script += """
                help)
                  _arguments '1:subcommand:(\(topics))' && ret=0
                  ;;
              esac
              ;;
          esac
          return ret
        }

        if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
          _sockdiag "$@"
        else
          compdef _sockdiag sockdiag
        fi

        """
        return script
    }

    private static func subcommandCase(_ spec: CommandSpec) -> String {
        var specs: [String] = ["-s", "-S"]
        for option in spec.visibleOptions {
            specs += optionSpecs(option, excluding: spec.options(excludedBy: option))
        }
        for (index, positional) in spec.positionals.enumerated() {
            let values = positional.choices.map { "(\($0.joined(separator: " ")))" } ?? " "
            specs.append(quoted("\(index + 1):\(positional.optional ? ":" : "")\(escapedMessage(positional.name)):\(values)"))
        }
        let call = "_arguments " + specs.joined(separator: " \\\n              ") + " && ret=0"
        var lines = ["        \(spec.name))"]
        if spec.trailingCommand != nil {
            // After '--': the command to run, completed as zsh completes it on its own line.
            lines += [
                "          local end=${words[(i)--]}",
                "          if (( end < CURRENT )); then",
                "            shift $end words",
                "            (( CURRENT -= end ))",
                "            _normal && ret=0",
                "          else",
                "            " + call,
                "          fi",
            ]
        } else {
            lines.append("          " + call)
        }
        lines.append("          ;;")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One `_arguments` spec per spelling: `(-j --json)--json[Print one JSON document]`, and for an
    /// option with a value `--cgroup=[...]:PATH:_sockdiag_cgroups` (`=` or the next word) and
    /// `-c+[...]:PATH:...` (attached or the next word). Once given, an option is not offered
    /// again, nor are the options the table says it excludes.
    static func optionSpecs(_ option: OptionSpec, excluding excluded: [OptionSpec] = []) -> [String] {
        let spellings = (option.short.map { ["-\($0)"] } ?? []) + ["--\(option.long)"]
        let others = excluded.flatMap { (($0.short.map { ["-\($0)"] } ?? []) + ["--\($0.long)"]) }
        let exclusion = option.repeatable ? "*" : "(\((spellings + others).joined(separator: " ")))"
        let description = "[\(escapedDescription(shortHelp(option.help)))]"
        var argument = ""
        if let placeholder = option.placeholder, let kind = option.valueKind {
            argument = ":\(escapedMessage(placeholder)):\(action(kind))"
        }
        return spellings.map { spelling in
            let suffix = option.takesValue ? (spelling.hasPrefix("--") ? "=" : "+") : ""
            return quoted(exclusion + spelling + suffix + description + argument)
        }
    }

    static func action(_ kind: OptionSpec.ValueKind) -> String {
        switch kind {
        case .file: return "_files"
        case .directory: return "_files -/"
        case .cgroup: return "_sockdiag_cgroups"
        case .interface: return "_sockdiag_interfaces"
        case .netns: return "_sockdiag_netns"
        case .text: return " "
        }
    }

    /// The help's first sentence, without its full stop: what a completion menu has room for.
    static func shortHelp(_ help: String) -> String {
        var sentence = ""
        for character in help {
            if character == " " && sentence.hasSuffix(".") { break }
            sentence.append(character)
        }
        return sentence.hasSuffix(".") ? String(sentence.dropLast()) : sentence
    }

    /// `name:description` for `_describe`, where a colon in the name would end it.
    static func describeEntry(_ name: String, _ description: String) -> String {
        name.backslashEscaping(":") + ":" + shortHelp(description)
    }

    /// Inside `[...]` of a spec a `]` would end the description.
    static func escapedDescription(_ text: String) -> String {
        text.backslashEscaping("\\[]")
    }

    /// In `:message:action` a colon would end the message.
    static func escapedMessage(_ text: String) -> String {
        text.backslashEscaping("\\:")
    }

    /// A single-quoted zsh word.
    static func quoted(_ text: String) -> String {
        var word = "'"
        for character in text { word += character == "'" ? "'\\''" : String(character) }
        return word + "'"
    }
}

extension String {
    /// Each of `specials` preceded by a backslash, as shells' completion specs escape them.
    func backslashEscaping(_ specials: String) -> String {
        var out = ""
        for character in self {
            if specials.contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
